"""The `seamless` op: a photo (and its maps) made tileable at its own size.

It is an op of its own, not a mode of `multiply`: it takes none of multiply's count, size or
tileable (one output, the input's size, always tileable), and its result keeps the request's
image names (`image`, `map:NAME`), so it drops in where the input was.
"""

from __future__ import annotations

import functools

from ...protocol.arguments import SeamlessArgs
from ...protocol.limits import Limits
from ...protocol.maps import MAP_PREFIX
from ...protocol.messages import NamedImage, Request
from ..contract import JobContext, MultiplyModel, SeamlessRequest
from ..registry import ModelRegistry
from .common import JobOutcome, PreparedJob, required_image
from .multiply import multiplier, texture_maps


def prepare(request: Request, registry: ModelRegistry, limits: Limits) -> PreparedJob:
    """Validate a `seamless` request and choose its model; ProtocolError when anything is off.

    The output is the input's size, already within the input pixel limit (and max_output_pixels)."""
    image = required_image(request, "image")
    maps = texture_maps(request)
    args = SeamlessArgs.from_wire(request.args)
    model = multiplier(registry, args.model)
    job = SeamlessRequest(image.array, args, image.colorspace, maps)
    summary = f"{image.array.shape[1]}x{image.array.shape[0]} border {args.border:g}" + \
        (f" +{len(maps)} maps" if maps else "")
    return PreparedJob(model.descriptor.name, summary, job, functools.partial(_run, model, job))


def _run(model: MultiplyModel, job: SeamlessRequest, context: JobContext) -> JobOutcome:
    made = model.make_seamless(job, context)
    colorspaces = {texture_map.name: texture_map.colorspace for texture_map in job.maps}
    images = [NamedImage("image", made.image, job.colorspace)]
    images += [NamedImage(MAP_PREFIX + name, array, colorspaces[name]) for name, array in made.maps.items()]
    data = {"model": model.descriptor.name, "seed": made.seed, "border": job.args.border}
    return images, data
