"""The `material` op: arguments, 1-shot / 2-shot model choice, and the maps' colour spaces."""

from __future__ import annotations

import functools

from ...protocol.arguments import MaterialArgs
from ...protocol.limits import Limits
from ...protocol.messages import NamedImage, Request
from ..contract import MATERIAL_MAP_COLORSPACES, MATERIAL_MAPS, JobContext, MaterialModel, MaterialRequest
from ..registry import ModelRegistry
from .common import JobOutcome, PreparedJob, as_material_model, bad_request, check_image_names, required_image, select_model


def prepare(request: Request, registry: ModelRegistry, limits: Limits) -> PreparedJob:
    """Validate a `material` request and choose its model; ProtocolError when anything is off."""
    check_image_names(request, {"flash", "guide"})
    flash = required_image(request, "flash")
    guide = request.image("guide")
    args = MaterialArgs.from_wire(request.args)
    needs = "guide" if guide is not None else None
    model = as_material_model(select_model(registry, "material", args.model, needs_input=needs))
    if guide is not None and "guide" not in model.descriptor.inputs:
        raise bad_request(f"model {model.descriptor.name!r} is 1-shot; it takes no guide photo")
    job = MaterialRequest(flash.array, None if guide is None else guide.array, args)
    height, width = flash.array.shape[:2]
    summary = f"{width}x{height} {'2-shot' if guide is not None else '1-shot'}"
    return PreparedJob(model.descriptor.name, summary, job, functools.partial(_run, model, job))


def _run(model: MaterialModel, job: MaterialRequest, context: JobContext) -> JobOutcome:
    maps = model.estimate(job, context)
    images = [NamedImage(name, maps[name], MATERIAL_MAP_COLORSPACES[name]) for name in MATERIAL_MAPS]
    shots = 2 if job.guide is not None else 1
    return images, {"model": model.descriptor.name, "shots": shots, "fov_degrees": model.field_of_view(job)}
