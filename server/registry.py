"""Model registry: an explicit list of named models with typed descriptors.

The request loop never inspects an `nn.Module`: everything it needs (kind, scales, half
precision, tiling) is in the descriptor. Registration is explicit; nothing is discovered by
scanning folders, and a failed `add` changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from .context import JobContext

ModelKind = Literal["upscale", "material"]


@dataclass(frozen=True)
class ModelDescriptor:
    """Everything the server and clients need to know about a model without loading it."""

    name: str
    kind: ModelKind
    architecture: str
    scales: tuple[int, ...] = ()
    """Supported integer scale factors (upscale models)."""
    supports_half: bool = False
    """Whether fp16/bf16 inference on CUDA keeps quality."""
    tiling: bool = True
    """Whether the model may run tile by tile (fully convolutional, bounded receptive field)."""
    detail: bool = False
    """Whether the model has a sharp partner for the `detail` slider."""
    inputs: tuple[str, ...] = ("image",)
    """Image names the model reads (`image`; or `flash`, `guide` for materials)."""
    description: str = ""
    card: dict[str, Any] = field(default_factory=dict)
    """Summary of the model card: data, steps, hardware, validation scores."""

    def to_wire(self) -> dict[str, Any]:
        """The descriptor as sent in the `models` reply."""
        return {
            "name": self.name,
            "kind": self.kind,
            "architecture": self.architecture,
            "scales": list(self.scales),
            "supports_half": self.supports_half,
            "tiling": self.tiling,
            "detail": self.detail,
            "inputs": list(self.inputs),
            "description": self.description,
            "card": self.card,
        }


@dataclass(frozen=True)
class UpscaleRequest:
    """A validated upscale job: the image and the options that shape the output."""

    image: np.ndarray
    """H x W x C array, C in 1..4, dtype uint8 / uint16 / float16 / float32."""
    scale: int
    tileable: bool = False
    normal_map: bool = False
    target_size: tuple[int, int] | None = None
    """Exact output (width, height); the network scale is applied first, then a resample."""
    detail: float | None = None
    colorspace: str = "srgb"


class UpscaleModel(Protocol):
    """A loaded model that upscales images."""

    descriptor: ModelDescriptor

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Return the upscaled image with the input's dtype and channel count."""
        ...


MATERIAL_MAPS: tuple[str, ...] = ("albedo", "specular", "normal", "glossiness", "roughness")
"""Output names of every material model, in this order."""


@dataclass(frozen=True)
class MaterialRequest:
    """A validated material job: one flash photo, optionally a no-flash guide photo."""

    flash: np.ndarray
    """H x W x C photo (C 3 or 4, alpha ignored), uint8 / uint16 / float16 / float32, sRGB."""
    guide: np.ndarray | None = None
    """Same surface without flash (2-shot); need not be pixel-aligned with `flash`."""
    guide_aligned: bool = False
    """The guide is already pixel-aligned with `flash` (tripod, or rendered): it is used as it is,
    without estimating a homography or checking that both photos show the same surface."""
    size: int | None = None
    """Output maps' longer side in pixels; None keeps the working resolution's choice."""
    refine_steps: int = 0
    tileable: bool = False
    fov_degrees: float | None = None
    """The camera's horizontal field of view (e.g. from the photo's EXIF focal length); None: the
    model's calibrated capture setup. Sets the flash geometry of refinement and of the heuristic."""


class MaterialModel(Protocol):
    """A loaded model that estimates SVBRDF maps from photos."""

    descriptor: ModelDescriptor

    def estimate(self, request: MaterialRequest, context: JobContext) -> dict[str, np.ndarray]:
        """Return float32 H x W x C maps in [0, 1], keyed by MATERIAL_MAPS.

        albedo: 3 channels, sRGB-encoded. specular: 3 channels, sRGB-encoded.
        normal: 3 channels, tangent space, OpenGL (+Y up), encoded (n + 1) / 2.
        glossiness, roughness: 1 channel, linear, roughness = 1 - glossiness.
        """
        ...

    def field_of_view(self, request: MaterialRequest) -> float:
        """The horizontal field of view (degrees) that ``estimate`` assumes for ``request``."""
        ...


class DuplicateModelError(ValueError):
    """A model with this name is already registered."""


class UnknownModelError(KeyError):
    """No model with this name is registered."""


class ModelRegistry:
    """Name -> loaded model, in registration order."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._defaults: dict[ModelKind, str] = {}

    def add(self, model: Any, *, default: bool = False) -> None:
        """Register `model` (anything with a `descriptor`); reject duplicate names."""
        descriptor: ModelDescriptor = model.descriptor
        if descriptor.name in self._models:
            raise DuplicateModelError(f"model {descriptor.name!r} is already registered")
        self._models[descriptor.name] = model
        if default or descriptor.kind not in self._defaults:
            self._defaults[descriptor.kind] = descriptor.name

    def get(self, name: str) -> Any:
        """The model named `name`; UnknownModelError if there is none."""
        try:
            return self._models[name]
        except KeyError:
            raise UnknownModelError(name) from None

    def default_name(self, kind: ModelKind) -> str:
        """Name of the default model of `kind`; UnknownModelError when none is registered."""
        try:
            return self._defaults[kind]
        except KeyError:
            raise UnknownModelError(f"no {kind} model registered") from None

    def descriptors(self) -> list[ModelDescriptor]:
        """All descriptors, in registration order."""
        return [model.descriptor for model in self._models.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._models
