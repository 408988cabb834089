"""What every op shares: the prepared-job type, image lookup and model choice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...protocol.constants import ErrorCode
from ...protocol.errors import ProtocolError
from ...protocol.messages import NamedImage, Request
from ..contract import (
    JobContext,
    MaterialModel,
    MaterialRequest,
    Model,
    ModelKind,
    MultiplyRequest,
    SeamlessRequest,
    UpscaleModel,
    UpscaleRequest,
)
from ..registry import ModelRegistry, UnknownModelError

JobOutcome = tuple[list[NamedImage], dict[str, Any]]
"""Output images and the result's `data` map."""


@dataclass(frozen=True)
class PreparedJob:
    """A validated request, ready to queue: what it runs, and what to log about it."""

    model: str
    """Name of the model that will run it."""
    summary: str
    """The input in a few words (sizes, scale) for the server's log."""
    request: UpscaleRequest | MaterialRequest | MultiplyRequest | SeamlessRequest
    """What the model will be asked."""
    run: Callable[[JobContext], JobOutcome]


def bad_request(message: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> ProtocolError:
    """The error a client gets for a request that cannot run."""
    return ProtocolError(code, message)


def required_image(request: Request, name: str) -> NamedImage:
    """The request's image called `name`; bad_request when it is missing."""
    image = request.image(name)
    if image is None:
        raise bad_request(f"{request.op} needs an image named {name!r}")
    return image


def check_image_names(request: Request, allowed: set[str]) -> None:
    """Refuse images the op does not read (a typo would otherwise be silently ignored)."""
    unknown = {image.name for image in request.images} - allowed
    if unknown:
        raise bad_request(f"{request.op} does not take images named {sorted(unknown)}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _named_model(registry: ModelRegistry, kind: ModelKind, name: str) -> Model:
    try:
        model = registry.get(name)
    except UnknownModelError:
        raise bad_request(f"no model named {name!r} (see `texforge models`)", ErrorCode.UNKNOWN_MODEL) from None
    if model.descriptor.kind != kind:
        actual = model.descriptor.kind
        raise bad_request(f"model {name!r} is {_article(actual)} {actual} model, not {_article(kind)} {kind} model")
    return model


def select_model(registry: ModelRegistry, kind: ModelKind, name: str | None, scale: int | None = None,
                 needs_input: str | None = None) -> Model:
    """The named model, or the default model of `kind` supporting `scale` and `needs_input`."""
    if name is not None:
        return _named_model(registry, kind, name)
    candidates = [
        d.name for d in registry.descriptors()
        if d.kind == kind and (scale is None or scale in d.scales) and (needs_input is None or needs_input in d.inputs)
    ]
    if not candidates:
        raise bad_request(f"no {kind} model supports this request", ErrorCode.UNKNOWN_MODEL)
    default = registry.default_name(kind)
    return registry.get(default if default in candidates else candidates[0])


def upscale_defaults(registry: ModelRegistry) -> dict[str, str]:
    """Scale (as a string, for every wire format) -> the model an `upscale` without `model` gets."""
    scales = sorted({scale for d in registry.descriptors() if d.kind == "upscale" for scale in d.scales})
    return {str(scale): select_model(registry, "upscale", None, scale).descriptor.name for scale in scales}


def as_upscaler(model: Model) -> UpscaleModel:
    """`model` typed as an upscaler (the registry checked its kind)."""
    if not isinstance(model, UpscaleModel):
        raise bad_request(f"model {model.descriptor.name!r} cannot upscale", ErrorCode.INTERNAL)
    return model


def as_material_model(model: Model) -> MaterialModel:
    """`model` typed as a material estimator (the registry checked its kind)."""
    if not isinstance(model, MaterialModel):
        raise bad_request(f"model {model.descriptor.name!r} cannot estimate materials", ErrorCode.INTERNAL)
    return model
