"""The `multiply` op: variations of an exemplar and its maps; output limits before any allocation.

The `map:NAME` images and the model choice are shared with `seamless` (`server/ops/seamless.py`).
"""

from __future__ import annotations

import dataclasses
import functools
import secrets

from ...protocol.arguments import MAX_SEED, MAX_VARIATIONS, MultiplyArgs
from ...protocol.constants import ErrorCode
from ...protocol.limits import CLIENT_LIMITS, Limits
from ...protocol.maps import TEXTURE_MAP_COLORSPACES, map_name_of, variation_image_name
from ...protocol.messages import NamedImage, Request
from ..contract import JobContext, Model, MultiplyModel, MultiplyRequest, TextureMap
from ..registry import ModelRegistry
from .common import JobOutcome, PreparedJob, bad_request, required_image, select_model


def prepare(request: Request, registry: ModelRegistry, limits: Limits) -> PreparedJob:
    """Validate a `multiply` request and choose its model; ProtocolError when anything is off."""
    image = required_image(request, "image")
    maps = texture_maps(request)
    args = MultiplyArgs.from_wire(request.args)
    if args.seed is None:  # resolved here, so the job (and its log line) is reproducible
        args = dataclasses.replace(args, seed=secrets.randbelow(MAX_SEED - MAX_VARIATIONS))
    model = multiplier(registry, args.model)
    job = MultiplyRequest(image.array, args, image.colorspace, maps)
    _check_output(job, limits)
    width, height = job.size
    summary = f"{image.array.shape[1]}x{image.array.shape[0]} -> {args.count} x {width}x{height}" + \
        (f" +{len(maps)} maps" if maps else "") + (" tileable" if args.tileable else "")
    return PreparedJob(model.descriptor.name, summary, job, functools.partial(_run, model, job))


def texture_maps(request: Request) -> tuple[TextureMap, ...]:
    """The request's `map:NAME` images; bad_request for other names or a size unlike the image's."""
    image = required_image(request, "image")
    maps = []
    for item in request.images:
        if item.name == "image":
            continue
        name = map_name_of(item.name)
        if name not in TEXTURE_MAP_COLORSPACES:
            raise bad_request(f"{request.op} takes `image` and maps `map:NAME` with NAME one of "
                              f"{', '.join(TEXTURE_MAP_COLORSPACES)}; not {item.name!r}")
        if item.array.shape[:2] != image.array.shape[:2]:
            raise bad_request(f"map {name!r} is {item.array.shape[1]}x{item.array.shape[0]}; "
                              f"the image is {image.array.shape[1]}x{image.array.shape[0]}")
        maps.append(TextureMap(name, item.array, item.colorspace))
    return tuple(maps)


def multiplier(registry: ModelRegistry, name: str | None) -> MultiplyModel:
    """The named `multiply` model, or the default one."""
    model: Model = select_model(registry, "multiply", name)
    if not isinstance(model, MultiplyModel):
        raise bad_request(f"model {model.descriptor.name!r} cannot synthesise textures", ErrorCode.INTERNAL)
    return model


def _check_output(job: MultiplyRequest, limits: Limits) -> None:
    width, height = job.size
    pixels = width * height * job.args.count
    if pixels > limits.max_output_pixels:
        raise bad_request(f"{job.args.count} variations of {width}x{height} are {pixels} pixels, above the "
                          f"limit of {limits.max_output_pixels} output pixels", ErrorCode.TOO_LARGE)
    images = job.args.count * (1 + len(job.maps))
    if images > CLIENT_LIMITS.max_images:
        raise bad_request(f"{job.args.count} variations of {1 + len(job.maps)} images are {images} result images, "
                          f"above the limit of {CLIENT_LIMITS.max_images}", ErrorCode.TOO_LARGE)


def _run(model: MultiplyModel, job: MultiplyRequest, context: JobContext) -> JobOutcome:
    variations = model.multiply(job, context)
    colorspaces = {texture_map.name: texture_map.colorspace for texture_map in job.maps}
    images = []
    for index, made in enumerate(variations, start=1):
        images.append(NamedImage(variation_image_name(index), made.image, job.colorspace))
        images += [NamedImage(variation_image_name(index, name), array, colorspaces[name])
                   for name, array in made.maps.items()]
    width, height = job.size
    data = {"model": model.descriptor.name, "seeds": [made.seed for made in variations], "size": [width, height],
            "tileable": job.args.tileable, "variation_seconds": [round(made.seconds, 3) for made in variations]}
    return images, data
