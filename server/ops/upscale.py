"""The `upscale` op: arguments, model choice, output limits, and the result's shape."""

from __future__ import annotations

import functools

from ...protocol.arguments import UpscaleArgs
from ...protocol.constants import ErrorCode
from ...protocol.limits import Limits
from ...protocol.messages import NamedImage, Request
from ..contract import JobContext, UpscaleModel, UpscaleRequest
from ..registry import ModelRegistry
from .common import JobOutcome, PreparedJob, as_upscaler, bad_request, check_image_names, required_image, select_model


def prepare(request: Request, registry: ModelRegistry, limits: Limits) -> PreparedJob:
    """Validate an `upscale` request and choose its model; ProtocolError when anything is off."""
    check_image_names(request, {"image"})
    image = required_image(request, "image")
    args = UpscaleArgs.from_wire(request.args)
    model = as_upscaler(select_model(registry, "upscale", args.model, args.scale))
    scales = model.descriptor.scales
    if scales and args.scale not in scales:
        raise bad_request(f"model {model.descriptor.name!r} supports scales {list(scales)}, not {args.scale}")
    height, width = image.array.shape[:2]
    _check_output_size(width, height, args, limits)
    job = UpscaleRequest(image.array, args, image.colorspace)
    summary = f"{width}x{height} x{args.scale}" + (f" -> {args.size[0]}x{args.size[1]}" if args.size else "")
    return PreparedJob(model.descriptor.name, summary, job, functools.partial(_run, model, job))


def _check_output_size(width: int, height: int, args: UpscaleArgs, limits: Limits) -> None:
    if height * width * args.scale * args.scale > limits.max_output_pixels:
        raise bad_request(f"x{args.scale} of {width}x{height} exceeds {limits.max_output_pixels} output pixels",
                          ErrorCode.TOO_LARGE)
    if args.size is not None and args.size[0] * args.size[1] > limits.max_output_pixels:
        raise bad_request(f"output size {args.size[0]}x{args.size[1]} exceeds {limits.max_output_pixels} pixels",
                          ErrorCode.TOO_LARGE)


def _run(model: UpscaleModel, job: UpscaleRequest, context: JobContext) -> JobOutcome:
    output = model.upscale(job, context)
    data = {"model": model.descriptor.name, "scale": job.args.scale, "shape": list(output.shape)}
    return [NamedImage("image", output, job.colorspace)], data
