"""The model contract: what a model is told, what it must return, what it may ask of the server.

Models (SR networks, material estimators, texture synthesisers, baselines, diagnostics) implement
`UpscaleModel`, `MaterialModel` or `MultiplyModel`; the ops (`server/ops/`) build the typed requests from validated protocol
arguments; the registry (`server/registry.py`) only holds models by name. Nothing here knows
about sockets or torch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from ..protocol.arguments import MaterialArgs, MultiplyArgs, SeamlessArgs, UpscaleArgs
from ..protocol.maps import TEXTURE_MAP_COLORSPACES

ModelKind = Literal["upscale", "material", "multiply"]
ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ModelDescriptor:
    """Everything the server and clients need to know about a model without loading it."""

    name: str
    kind: ModelKind
    architecture: str
    scales: tuple[int, ...] = ()
    """Supported integer scale factors (upscale models)."""
    supports_half: bool = False
    """Whether fp16/bf16 inference keeps quality."""
    tiling: bool = True
    """Whether the model may run tile by tile (fully convolutional, bounded receptive field)."""
    detail: bool = False
    """Whether the model has a sharp partner for the `detail` slider."""
    jpeg_robust: bool = False
    """Whether the model has a JPEG-robust partner, run for `jpeg_source` requests."""
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
            "jpeg_robust": self.jpeg_robust,
            "inputs": list(self.inputs),
            "description": self.description,
            "card": self.card,
        }


# --- job context ----------------------------------------------------------------------


class JobCancelled(Exception):
    """Raised inside a job when its client asked for `cancel`; the server answers `cancelled`."""


def _ignore_progress(done: int, total: int, stage: str) -> None:
    return None


@dataclass
class JobContext:
    """Handed to every model call: report progress, check for cancellation, know the device.

    Models call `check_cancelled()` between units of work (tiles, refinement steps) so a
    cancel takes effect within one unit.
    """

    device: str = "cpu"
    progress_callback: ProgressCallback = _ignore_progress
    cancel_event: threading.Event = field(default_factory=threading.Event)
    latest_progress: tuple[int, int, str] = (0, 0, "queued")
    """The last (done, total, stage) reported: the server's loop reads it, so no callback has to
    reach back to the job (a reference cycle that would keep its images alive until a full GC)."""

    def progress(self, done: int, total: int, stage: str) -> None:
        """Report `done` of `total` units of the named stage."""
        self.check_cancelled()
        self.latest_progress = (done, total, stage)
        self.progress_callback(done, total, stage)

    def check_cancelled(self) -> None:
        """Raise JobCancelled if the client cancelled this job."""
        if self.cancel_event.is_set():
            raise JobCancelled("job cancelled by client")


# --- upscale --------------------------------------------------------------------------


@dataclass(frozen=True)
class UpscaleRequest:
    """A validated upscale job: the image, its colour space and the op's arguments."""

    image: np.ndarray
    """H x W x C array, C in 1..4, dtype uint8 / uint16 / float16 / float32."""
    args: UpscaleArgs = UpscaleArgs()
    colorspace: str = "srgb"

    @classmethod
    def of(cls, image: np.ndarray, colorspace: str = "srgb", **arguments: Any) -> UpscaleRequest:
        """A request from keyword arguments of `UpscaleArgs` (tests, benches, scripts)."""
        return cls(image, UpscaleArgs(**arguments), colorspace)


@runtime_checkable
class UpscaleModel(Protocol):
    """A loaded model that upscales images."""

    descriptor: ModelDescriptor

    def upscale(self, request: UpscaleRequest, context: JobContext) -> np.ndarray:
        """Return the upscaled image with the input's dtype and channel count."""
        ...


# --- material -------------------------------------------------------------------------


MATERIAL_MAPS: tuple[str, ...] = ("albedo", "specular", "normal", "glossiness", "roughness")
"""Output names of every material model, in this order."""

MATERIAL_MAP_COLORSPACES: dict[str, str] = {name: TEXTURE_MAP_COLORSPACES[name] for name in MATERIAL_MAPS}
"""Wire colour space of each material map (see `MaterialModel.estimate`): the protocol's for that map."""


@dataclass(frozen=True)
class MaterialRequest:
    """A validated material job: one flash photo, optionally a no-flash guide photo, and the arguments."""

    flash: np.ndarray
    """H x W x C photo (C 3 or 4, alpha ignored), uint8 / uint16 / float16 / float32, sRGB (linear light
    when `args.linear_photo`)."""
    guide: np.ndarray | None = None
    """Same surface without flash (2-shot); need not be pixel-aligned with `flash` unless
    `args.guide_aligned`."""
    args: MaterialArgs = MaterialArgs()

    @classmethod
    def of(cls, flash: np.ndarray, guide: np.ndarray | None = None, **arguments: Any) -> MaterialRequest:
        """A request from keyword arguments of `MaterialArgs` (tests, benches, scripts)."""
        return cls(flash, guide, MaterialArgs(**arguments))


@runtime_checkable
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


# --- multiply and seamless ---------------------------------------------------------------


@dataclass(frozen=True)
class TextureMap:
    """One more map of a material (normal, roughness, height, ...): synthesised with the image's coordinates."""

    name: str
    """A name of `protocol.maps.TEXTURE_MAP_COLORSPACES` (`normal` maps are kept unit-length)."""
    array: np.ndarray
    """H x W x C, the exemplar's height and width, C in 1..4, any wire dtype."""
    colorspace: str = "data"


@dataclass(frozen=True)
class MultiplyRequest:
    """A validated multiply job: the exemplar, its maps, and the arguments (with a resolved seed)."""

    image: np.ndarray
    """H x W x C exemplar, C in 1..4 (alpha is synthesised like any channel), uint8 / uint16 / float16 / float32."""
    args: MultiplyArgs = MultiplyArgs(seed=0)
    colorspace: str = "srgb"
    maps: tuple[TextureMap, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        """Output (width, height): `args.size`, or the exemplar's own."""
        return self.args.size or (int(self.image.shape[1]), int(self.image.shape[0]))

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seed of each variation: `args.seed`, `args.seed` + 1, ..."""
        first = self.args.seed or 0
        return tuple(first + index for index in range(self.args.count))


@dataclass(frozen=True)
class SeamlessRequest:
    """A validated make-seamless job: the photo, its maps, and the arguments."""

    image: np.ndarray
    """H x W x C photo, as for `MultiplyRequest.image`."""
    args: SeamlessArgs = SeamlessArgs()
    colorspace: str = "srgb"
    maps: tuple[TextureMap, ...] = ()


@dataclass(frozen=True)
class Variation:
    """One synthesised texture and its maps, all with the input's dtypes and channel counts."""

    seed: int
    image: np.ndarray
    maps: dict[str, np.ndarray]
    """Map name -> the map synthesised with the image's coordinates."""
    seconds: float
    """Time the synthesis took."""


@runtime_checkable
class MultiplyModel(Protocol):
    """A loaded texture synthesiser: variations of an exemplar, and tileable versions of photos."""

    descriptor: ModelDescriptor

    def multiply(self, request: MultiplyRequest, context: JobContext) -> list[Variation]:
        """One variation per seed of `request.seeds`, each of `request.size`."""
        ...

    def make_seamless(self, request: SeamlessRequest, context: JobContext) -> Variation:
        """The photo (and its maps) made tileable, its own size, changed only near its edges."""
        ...


Model = UpscaleModel | MaterialModel | MultiplyModel
"""Anything the registry holds."""
