"""Material model adapters for the server: the ``MaterialModel`` protocol over our estimators.

The stages every estimator shares (resize, guide, refine, upsample, tile, encode) are in
``pipeline.py``; an adapter only predicts maps at the working size. Neural models also read the
photo at their training scale (``context_side``, the training crop size, 128 px for the shipped
ones) and take albedo, specular and roughness from that reading, with the working-size detail
added (``scales.fuse_scales``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..contract import JobContext, MaterialRequest, ModelDescriptor
from .closure import NO_CLOSURE, SHADING_CLOSURE, ShadingClosure
from .detail import PHOTO_DETAIL, DetailGains
from .gloss import NO_GLOSS_FIT, GlossFit
from .heuristic import heuristic_svbrdf
from .imaging import fit_longer_side, resize
from .network import MaterialNet, half_fov_tangent
from .pipeline import WORKING_SIDE, estimate_request, self_ensemble
from .render import SVBRDF, CaptureSetup, capture_for
from .scales import fuse_scales
from .symmetry import DIHEDRAL
from .weights import load_model, training_crop_size

logger = logging.getLogger(__name__)


class _EstimatorBase:
    """A ``MaterialModel`` whose estimate runs the shared pipeline around its ``predict``."""

    descriptor: ModelDescriptor
    capture: CaptureSetup
    working_side: int = WORKING_SIDE
    upsampling: str = "bilinear"
    detail: DetailGains = PHOTO_DETAIL
    gloss: GlossFit = NO_GLOSS_FIT
    closure: ShadingClosure = SHADING_CLOSURE

    def estimate(self, request: MaterialRequest, context: JobContext) -> dict[str, np.ndarray]:
        """Maps keyed by MATERIAL_MAPS, float32 H x W x C in [0, 1] (the contract's conventions)."""
        return estimate_request(request, self, context)

    def field_of_view(self, request: MaterialRequest) -> float:
        """The horizontal field of view (degrees) that ``estimate`` assumes for ``request``."""
        return capture_for(self.capture, request.args.fov_degrees).fov_degrees

    def predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup,
                fov_degrees: float | None = None) -> SVBRDF:
        """Linear maps at the working size (see ``pipeline.Estimator``)."""
        raise NotImplementedError


class HeuristicMaterialModel(_EstimatorBase):
    """Instant, network-free baseline: falloff-corrected albedo, gradient normals, contrast roughness."""

    closure = NO_CLOSURE  # its albedo is the photo already

    def __init__(self, capture: CaptureSetup | None = None) -> None:
        self.capture = capture or CaptureSetup()
        self.descriptor = ModelDescriptor(
            name="heuristic", kind="material", architecture="heuristic", tiling=False,
            inputs=("flash",),
            description="Materialize-style heuristic maps from one flash photo; instant, no network",
            card={"data": "none (hand-written rules)", "steps": 0},
        )

    def predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup,
                fov_degrees: float | None = None) -> SVBRDF:
        """Linear maps at the working size (see ``pipeline.Estimator``); the field of view is in ``capture``."""
        return heuristic_svbrdf(flash, capture)


class NeuralMaterialModel(_EstimatorBase):
    """A trained ``MaterialNet``: 1-shot (flash) or 2-shot (flash + guide)."""

    def __init__(self, net: MaterialNet, capture: CaptureSetup, card: dict[str, Any], name: str,
                 device: str = "cpu", symmetries: tuple[int, ...] = DIHEDRAL,
                 context_side: int | None = None) -> None:
        self.net = net.to(device).eval()
        self.symmetries = symmetries
        # longer side of the second reading at the training scale (0: one reading at the working size)
        self.context_side = context_side if context_side is not None else training_crop_size(card)
        self.capture = capture
        self.device = device
        two_shot = net.config.in_channels == 6
        self.descriptor = ModelDescriptor(
            name=name, kind="material", architecture="material-unet", tiling=False,
            inputs=("flash", "guide") if two_shot else ("flash",),
            description=("2-shot (flash + no-flash guide)" if two_shot else "1-shot (flash)")
            + " SVBRDF U-Net with a global-feature track",
            card=card,
        )

    @classmethod
    def from_file(cls, path: str | Path, device: str = "cpu", name: str | None = None) -> "NeuralMaterialModel":
        """Load a model written by ``texforge train material``."""
        path = Path(path)
        net, capture, card = load_model(path, device)
        return cls(net, capture, card, name or path.name.removesuffix(".safetensors"), device)

    def predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup,
                fov_degrees: float | None = None) -> SVBRDF:
        """Linear maps at the working size (see ``pipeline.Estimator``)."""
        # trained on random fields of view, the network needs no capture setup; one with
        # fov_input or view_input reads the field of view when the request knows it
        photos = (flash if guide is None else torch.cat([flash, guide], dim=1)).to(self.device)
        h, w = photos.shape[2:]
        tangent = half_fov_tangent(fov_degrees, h, w)
        maps = self_ensemble(self.net, photos, self.symmetries, tangent)
        if 0 < self.context_side < max(h, w):
            context = self_ensemble(self.net, resize(photos, fit_longer_side(h, w, self.context_side)), self.symmetries,
                                    tangent)
            maps = fuse_scales(context, maps)
        return maps.map(lambda t: t.float().cpu())


