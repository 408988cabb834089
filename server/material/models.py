"""Material model adapters for the server: the ``MaterialModel`` protocol over our estimators.

Resolution policy (measured with ``bench/material_highres.py`` on held-out generated materials):
the estimator runs on the photo resized so its longer side is ``working_side`` (192 px);
refinement runs there too. Neural models also read the photo at their training scale
(``context_side``, the training crop size, 128 px for the shipped ones) and take albedo, specular
and roughness from that reading, with the working-size detail added (``scales.fuse_scales``).
The maps are then brought to the output size (``request.size``, else the photo's own
size, at most ``MAX_OUTPUT_SIDE``) by bilinear upsampling: a guided filter on the photo's
luminance measured no better (within 0.002 RMSE) and costs more; it stays available as
``upsampling = "guided"``. Optional tileable output blends each map with its half-period shift.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..context import JobContext
from ..registry import MaterialRequest, ModelDescriptor
from .align import align_guide
from .heuristic import heuristic_svbrdf, luminance
from .imaging import fit_longer_side, guided_upsample, make_seamless, normalize_channels, photo_to_tensor, resize, svbrdf_to_arrays
from .network import MaterialNet
from .refine import refine_svbrdf
from .render import SVBRDF, CaptureSetup
from .scales import fuse_scales
from .symmetry import DIHEDRAL, inverse_symmetry, transform_image, transform_svbrdf
from .weights import load_model, training_crop_size

logger = logging.getLogger(__name__)

WORKING_SIDE = 192
"""Longer side, in pixels, at which maps are estimated and refined."""
MAX_OUTPUT_SIDE = 8192
"""Largest output side when the request does not name a size."""
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def upsample_maps(svbrdf: SVBRDF, photo_low: torch.Tensor, photo_high: torch.Tensor,
                  method: str = "bilinear") -> SVBRDF:
    """Bring every map to ``photo_high``'s size; normals re-normalised.

    ``bilinear`` (default) or ``guided`` (fast guided filter on the photo's luminance). On the
    ground-truth maps of bench/material_highres.py both score within 0.002 RMSE and bilinear
    is cheaper, so bilinear is the default.
    """
    if photo_low.shape[2:] == photo_high.shape[2:]:
        return svbrdf
    if method == "guided":
        guide_low, guide_high = luminance(photo_low), luminance(photo_high)
        radius = max(1, min(photo_low.shape[2:]) // 64)

        def up(t: torch.Tensor) -> torch.Tensor:
            return guided_upsample(t, guide_low, guide_high, radius=radius)
    elif method == "bilinear":
        def up(t: torch.Tensor) -> torch.Tensor:
            return F.interpolate(t, size=photo_high.shape[2:], mode="bilinear", align_corners=False)
    else:
        raise ValueError(f"unknown upsampling method {method!r}; expected 'bilinear' or 'guided'")
    normal = up(svbrdf.normal)
    normal = normalize_channels(torch.cat([normal[:, :2], normal[:, 2:3].clamp_min(1e-3)], dim=1))
    return SVBRDF(normal, up(svbrdf.diffuse).clamp(0, 1), up(svbrdf.roughness).clamp(0.02, 1),
                  up(svbrdf.specular).clamp(0, 1))


def seamless_maps(svbrdf: SVBRDF) -> SVBRDF:
    """Tileable version of every map."""
    normal = make_seamless(svbrdf.normal)
    return SVBRDF(normalize_channels(normal), make_seamless(svbrdf.diffuse),
                  make_seamless(svbrdf.roughness), make_seamless(svbrdf.specular))


def output_size(request: MaterialRequest, height: int, width: int) -> tuple[int, int]:
    """(height, width) of the output maps."""
    if request.size is not None:
        if request.size < 8:
            raise ValueError(f"size must be at least 8, got {request.size}")
        return fit_longer_side(height, width, request.size)
    if max(height, width) > MAX_OUTPUT_SIDE:
        return fit_longer_side(height, width, MAX_OUTPUT_SIDE)
    return height, width


def capture_for(setup: CaptureSetup, fov_degrees: float | None) -> CaptureSetup:
    """``setup`` with the photo's own field of view, when the request knows it.

    The flash intensity scales with the squared camera distance, so the centre of the sample gets
    the irradiance of the calibrated setup, as a phone's auto-exposure (and every training photo)
    has it.
    """
    if fov_degrees is None:
        return setup
    moved = setup.with_fov(fov_degrees)
    return replace(moved, light_intensity=setup.light_intensity * (moved.camera_distance / setup.camera_distance) ** 2)


class _EstimatorBase:
    """The shared pipeline: decode, resize, estimate, refine, upsample, tile, encode."""

    descriptor: ModelDescriptor
    capture: CaptureSetup
    working_side: int = WORKING_SIDE
    upsampling: str = "bilinear"

    def estimate(self, request: MaterialRequest, context: JobContext) -> dict[str, np.ndarray]:
        """Maps keyed by MATERIAL_MAPS, float32 H x W x C in [0, 1] (registry conventions)."""
        flash = photo_to_tensor(request.flash)
        guide = photo_to_tensor(request.guide) if request.guide is not None else None
        capture = capture_for(self.capture, request.fov_degrees)
        context.progress(0, 4, "prepare")
        with torch.no_grad():
            out_h, out_w = output_size(request, flash.shape[2], flash.shape[3])
            work_size = fit_longer_side(flash.shape[2], flash.shape[3], min(self.working_side, max(out_h, out_w)))
            flash_work = resize(flash, work_size)
            guide_work = self._prepare_guide(flash, guide, work_size, context, request.guide_aligned)
            context.progress(1, 4, "predict")
            svbrdf = self._predict(flash_work, guide_work, capture)
        if request.refine_steps > 0:
            svbrdf = refine_svbrdf(svbrdf, flash_work, capture, request.refine_steps, context)
        context.progress(2, 4, "upsample")
        with torch.no_grad():
            svbrdf = upsample_maps(svbrdf, flash_work, resize(flash, (out_h, out_w)), self.upsampling)
            if request.tileable:
                svbrdf = seamless_maps(svbrdf)
            context.progress(3, 4, "encode")
            maps = svbrdf_to_arrays(svbrdf)
        context.progress(4, 4, "done")
        return maps

    def field_of_view(self, request: MaterialRequest) -> float:
        """The horizontal field of view (degrees) that ``estimate`` assumes for ``request``."""
        return capture_for(self.capture, request.fov_degrees).fov_degrees

    def _prepare_guide(self, flash: torch.Tensor, guide: torch.Tensor | None, size: tuple[int, int],
                       context: JobContext, aligned: bool = False) -> torch.Tensor | None:
        if "guide" not in self.descriptor.inputs:
            if guide is not None:
                logger.info("%s is a 1-shot model; the guide photo is ignored", self.descriptor.name)
            return None
        if guide is None:
            raise ValueError(f"model {self.descriptor.name!r} needs a guide (no-flash) photo")
        if aligned:
            if guide.shape[2:] != flash.shape[2:]:
                raise ValueError(f"an aligned guide photo must have the flash photo's size "
                                 f"{flash.shape[3]}x{flash.shape[2]}, got {guide.shape[3]}x{guide.shape[2]}")
            return resize(guide, size)
        context.check_cancelled()
        return align_guide(resize(flash, size), resize(guide, size))

    def _predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup) -> SVBRDF:
        raise NotImplementedError


class HeuristicMaterialModel(_EstimatorBase):
    """Instant, network-free baseline: falloff-corrected albedo, gradient normals, contrast roughness."""

    def __init__(self, capture: CaptureSetup | None = None) -> None:
        self.capture = capture or CaptureSetup()
        self.descriptor = ModelDescriptor(
            name="heuristic", kind="material", architecture="heuristic", tiling=False,
            inputs=("flash",),
            description="Materialize-style heuristic maps from one flash photo; instant, no network",
            card={"data": "none (hand-written rules)", "steps": 0},
        )

    def _predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup) -> SVBRDF:
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

    def _predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup) -> SVBRDF:
        # the network was trained on random fields of view (40-75 degrees): it needs no capture setup
        photos = (flash if guide is None else torch.cat([flash, guide], dim=1)).to(self.device)
        maps = self_ensemble(self.net, photos, self.symmetries)
        h, w = photos.shape[2:]
        if 0 < self.context_side < max(h, w):
            context = self_ensemble(self.net, resize(photos, fit_longer_side(h, w, self.context_side)), self.symmetries)
            maps = fuse_scales(context, maps)
        return maps.map(lambda t: t.float().cpu())


def self_ensemble(net: MaterialNet, photos: torch.Tensor, symmetries: tuple[int, ...] = DIHEDRAL) -> SVBRDF:
    """Mean of the predictions for rotated/mirrored copies of the photos, each mapped back.

    A flat sample under a co-located flash looks the same rotated, so every symmetry is an
    equally valid view; averaging them cancels the parts of the estimate the network is unsure
    of (uncorrelated relief turns flatter) at the cost of one forward pass per symmetry.
    """
    if not symmetries:
        raise ValueError("self_ensemble needs at least one symmetry")
    total = sum(transform_svbrdf(net(transform_image(photos, symmetry)), inverse_symmetry(symmetry)).stacked()
                for symmetry in symmetries)
    mean = SVBRDF.from_stacked(total / len(symmetries))
    return SVBRDF(normalize_channels(mean.normal), mean.diffuse, mean.roughness, mean.specular)


def shipped_weight_files(folder: Path = WEIGHTS_DIR) -> list[Path]:
    """``material-*.safetensors`` model files (not optimiser states), sorted by name."""
    return sorted(p for p in folder.glob("material-*.safetensors") if not p.name.endswith(".state.safetensors"))


def load_shipped_material_models(device: str = "cpu", include_heuristic: bool = True) -> list[Any]:
    """The packaged material models: the networks in ``server/weights`` then the heuristic.

    A file that fails to load is logged and skipped, so one bad file never hides the others.
    """
    models: list[Any] = []
    for path in shipped_weight_files():
        try:
            models.append(NeuralMaterialModel.from_file(path, device))
        except (ValueError, OSError, RuntimeError, KeyError) as error:
            logger.warning("skipping material weights %s: %s", path, error)
    if include_heuristic:
        models.append(HeuristicMaterialModel())
    return models
