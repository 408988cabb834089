"""Turn the `args` and images of upscale/material requests into validated job requests.

Every check happens here, on the request loop, before a job is queued: a bad request is
answered at once and never occupies a worker.
"""

from __future__ import annotations

from typing import Any

from ..protocol.constants import ErrorCode
from ..protocol.errors import ProtocolError
from ..protocol.limits import Limits
from ..protocol.messages import Request
from .registry import MaterialRequest, ModelRegistry, UnknownModelError, UpscaleRequest

MAX_REFINE_STEPS = 2000
MAX_MATERIAL_SIZE = 8192
MIN_FOV_DEGREES = 5.0
MAX_FOV_DEGREES = 120.0


def _bad(message: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> ProtocolError:
    return ProtocolError(code, message)


def _arg(args: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = args.get(key, default)
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _bad(f"argument {key!r} must be {kind.__name__}, got {type(value).__name__}")
    return value


def _required_image(request: Request, name: str) -> Any:
    image = request.image(name)
    if image is None:
        raise _bad(f"{request.op} needs an image named {name!r}")
    return image


def _check_names(request: Request, allowed: set[str]) -> None:
    unknown = {image.name for image in request.images} - allowed
    if unknown:
        raise _bad(f"{request.op} does not take images named {sorted(unknown)}")


def select_model(
    registry: ModelRegistry, kind: str, name: str | None, scale: int | None = None, needs_input: str | None = None
) -> Any:
    """The named model, or the default model of `kind` supporting `scale` and `needs_input`."""
    if name is not None:
        try:
            model = registry.get(name)
        except UnknownModelError:
            raise _bad(f"no model named {name!r} (see `texforge models`)", ErrorCode.UNKNOWN_MODEL) from None
        if model.descriptor.kind != kind:
            raise _bad(f"model {name!r} is a {model.descriptor.kind} model, not {kind}")
        return model
    candidates = [
        d for d in registry.descriptors()
        if d.kind == kind and (scale is None or scale in d.scales) and (needs_input is None or needs_input in d.inputs)
    ]
    if not candidates:
        raise _bad(f"no {kind} model supports this request", ErrorCode.UNKNOWN_MODEL)
    default = registry.default_name(kind)  # type: ignore[arg-type]
    chosen = default if any(d.name == default for d in candidates) else candidates[0].name
    return registry.get(chosen)


def _target_size(args: dict[str, Any], limits: Limits) -> tuple[int, int] | None:
    size = args.get("size")
    if size is None:
        return None
    valid = isinstance(size, list) and len(size) == 2 and all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size
    )
    if not valid:
        raise _bad("argument 'size' must be [width, height] with positive integers")
    if size[0] * size[1] > limits.max_output_pixels:
        raise _bad(f"output size {size[0]}x{size[1]} exceeds {limits.max_output_pixels} pixels", ErrorCode.TOO_LARGE)
    return size[0], size[1]


def parse_upscale(request: Request, registry: ModelRegistry, limits: Limits) -> tuple[Any, UpscaleRequest]:
    """(model, UpscaleRequest) for an `upscale` request; ProtocolError when anything is off."""
    _check_names(request, {"image"})
    image = _required_image(request, "image")
    args = request.args
    scale = _arg(args, "scale", int, 2)
    model = select_model(registry, "upscale", _arg(args, "model", str, None), scale)
    if model.descriptor.scales and scale not in model.descriptor.scales:
        raise _bad(f"model {model.descriptor.name!r} supports scales {list(model.descriptor.scales)}, not {scale}")
    height, width = image.array.shape[:2]
    if height * width * scale * scale > limits.max_output_pixels:
        raise _bad(f"x{scale} of {width}x{height} exceeds {limits.max_output_pixels} output pixels", ErrorCode.TOO_LARGE)
    detail = _arg(args, "detail", float, None)
    if detail is not None and not 0.0 <= detail <= 1.0:
        raise _bad(f"argument 'detail' must be in [0, 1], got {detail}")
    job = UpscaleRequest(
        image=image.array,
        scale=scale,
        tileable=_arg(args, "tileable", bool, False),
        normal_map=_arg(args, "normal_map", bool, False),
        target_size=_target_size(args, limits),
        detail=detail,
        colorspace=image.colorspace,
    )
    return model, job


def parse_material(request: Request, registry: ModelRegistry, limits: Limits) -> tuple[Any, MaterialRequest]:
    """(model, MaterialRequest) for a `material` request; ProtocolError when anything is off."""
    _check_names(request, {"flash", "guide"})
    flash = _required_image(request, "flash")
    guide = request.image("guide")
    args = request.args
    model = select_model(registry, "material", _arg(args, "model", str, None), needs_input="guide" if guide is not None else None)
    if guide is not None and "guide" not in model.descriptor.inputs:
        raise _bad(f"model {model.descriptor.name!r} is 1-shot; it takes no guide photo")
    size = _arg(args, "size", int, None)
    if size is not None and not 16 <= size <= MAX_MATERIAL_SIZE:
        raise _bad(f"argument 'size' must be in 16..{MAX_MATERIAL_SIZE}, got {size}")
    steps = _arg(args, "refine_steps", int, 0)
    if not 0 <= steps <= MAX_REFINE_STEPS:
        raise _bad(f"argument 'refine_steps' must be in 0..{MAX_REFINE_STEPS}, got {steps}")
    fov = _arg(args, "fov_degrees", float, None)
    if fov is not None and not MIN_FOV_DEGREES <= fov <= MAX_FOV_DEGREES:
        raise _bad(f"argument 'fov_degrees' must be in {MIN_FOV_DEGREES:g}..{MAX_FOV_DEGREES:g}, got {fov:g}")
    job = MaterialRequest(
        flash=flash.array,
        guide=None if guide is None else guide.array,
        size=size,
        refine_steps=steps,
        tileable=_arg(args, "tileable", bool, False),
        fov_degrees=fov,
        guide_aligned=_arg(args, "guide_aligned", bool, False),
    )
    return model, job
