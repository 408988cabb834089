"""The stages of a material estimate, shared by every estimator (the SR half's `sr/pipeline.py`).

Resolution policy (measured with ``bench/material_highres.py`` on held-out generated materials):
the estimator runs on the photo resized so its longer side is ``working_side`` (192 px);
refinement runs there too, then the gloss fit (``gloss.py``; off in every shipped model) and the
shading closure (``closure.py``). The maps are then brought to the output size (``args.size``,
else the photo's own size, at most ``MAX_OUTPUT_SIDE``) by bilinear upsampling: a guided filter
on the photo's luminance measured no better (within 0.002 RMSE) and costs more; it stays
available as ``upsampling = "guided"``.
What the working size cannot hold comes from the photo itself (``detail.add_photo_detail``, the
estimator's ``detail`` gains). Optional tileable output blends each map with its half-period shift.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from ..contract import JobContext, MaterialRequest, ModelDescriptor
from .align import align_guide
from .closure import ShadingClosure, close_shading
from .detail import DetailGains, add_photo_detail
from .gloss import GlossFit, fit_gloss
from .imaging import (
    fit_longer_side,
    guided_upsample,
    luminance,
    make_seamless,
    normalize_channels,
    photo_to_tensor,
    resize,
    svbrdf_to_arrays,
)
from .network import MaterialNet
from .refine import refine_svbrdf
from .render import SVBRDF, CaptureSetup, capture_for, expose
from .symmetry import DIHEDRAL, inverse_symmetry, transform_image, transform_svbrdf

logger = logging.getLogger(__name__)

WORKING_SIDE = 192
"""Longer side, in pixels, at which maps are estimated and refined."""
MAX_OUTPUT_SIDE = 8192
"""Largest output side when the request does not name a size."""


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
    if request.args.size is not None:
        return fit_longer_side(height, width, request.args.size)
    if max(height, width) > MAX_OUTPUT_SIDE:
        return fit_longer_side(height, width, MAX_OUTPUT_SIDE)
    return height, width


class Estimator(Protocol):
    """What the pipeline needs of an estimator: its maps from working-size photos, and its setup."""

    descriptor: ModelDescriptor
    capture: CaptureSetup
    working_side: int
    upsampling: str
    detail: DetailGains
    """How much of the photo's band above the working size each map takes (``detail.py``)."""
    gloss: GlossFit
    """Which roughness multipliers are tried to make the maps' render match the photo (``gloss.py``)."""
    closure: ShadingClosure
    """How much of the photo's shading the maps leave unexplained goes to the albedo (``closure.py``)."""

    def predict(self, flash: torch.Tensor, guide: torch.Tensor | None, capture: CaptureSetup,
                fov_degrees: float | None = None) -> SVBRDF:
        """Linear maps for ``(1, 3, h, w)`` photos in [0, 1] at the working size; ``fov_degrees``:
        the photo's horizontal field of view when the request knows it (``capture`` has it too,
        or the calibrated default when it is unknown)."""
        ...


def estimate_request(request: MaterialRequest, estimator: Estimator, context: JobContext) -> dict[str, np.ndarray]:
    """Maps keyed by MATERIAL_MAPS, float32 H x W x C in [0, 1] (the contract's conventions)."""
    flash = photo_to_tensor(request.flash)
    guide = photo_to_tensor(request.guide) if request.guide is not None else None
    if request.args.linear_photo:  # the estimators read display-encoded photos
        flash = expose(flash, gamma=estimator.capture.gamma)
        guide = expose(guide, gamma=estimator.capture.gamma) if guide is not None else None
    capture = capture_for(estimator.capture, request.args.fov_degrees)
    context.progress(0, 4, "prepare")
    with torch.no_grad():
        out_h, out_w = output_size(request, flash.shape[2], flash.shape[3])
        work_size = fit_longer_side(flash.shape[2], flash.shape[3], min(estimator.working_side, max(out_h, out_w)))
        flash_work = resize(flash, work_size)
        guide_work = prepare_guide(estimator.descriptor, flash, guide, work_size, context, request.args.guide_aligned)
        context.progress(1, 4, "predict")
        svbrdf = estimator.predict(flash_work, guide_work, capture, request.args.fov_degrees)
    if request.args.refine_steps > 0:
        svbrdf = refine_svbrdf(svbrdf, flash_work, capture, request.args.refine_steps, context)
    context.progress(2, 4, "upsample")
    with torch.no_grad():
        fov_known = request.args.fov_degrees is not None
        svbrdf = fit_gloss(svbrdf, flash_work, capture, estimator.gloss)
        svbrdf = close_shading(svbrdf, flash_work, capture, estimator.closure, fov_known)
        flash_out = resize(flash, (out_h, out_w))
        svbrdf = upsample_maps(svbrdf, flash_work, flash_out, estimator.upsampling)
        svbrdf = add_photo_detail(svbrdf, flash_out, work_size, estimator.detail)
        if request.args.tileable:
            svbrdf = seamless_maps(svbrdf)
        context.progress(3, 4, "encode")
        maps = svbrdf_to_arrays(svbrdf)
    context.progress(4, 4, "done")
    return maps


def prepare_guide(descriptor: ModelDescriptor, flash: torch.Tensor, guide: torch.Tensor | None, size: tuple[int, int],
                  context: JobContext, aligned: bool = False) -> torch.Tensor | None:
    """The guide photo at the working size, aligned to the flash photo (None for a 1-shot model)."""
    if "guide" not in descriptor.inputs:
        if guide is not None:
            logger.info("%s is a 1-shot model; the guide photo is ignored", descriptor.name)
        return None
    if guide is None:
        raise ValueError(f"model {descriptor.name!r} needs a guide (no-flash) photo")
    if aligned:
        if guide.shape[2:] != flash.shape[2:]:
            raise ValueError(f"an aligned guide photo must have the flash photo's size "
                             f"{flash.shape[3]}x{flash.shape[2]}, got {guide.shape[3]}x{guide.shape[2]}")
        return resize(guide, size)
    context.check_cancelled()
    return align_guide(resize(flash, size), resize(guide, size))


EDGE_TRIM = 3
"""Pixels along each border of a prediction that are replaced by a mirror of the next ones in.
The convolutions' zero padding draws a rim there (real photos: the albedo's outer 3 px up to 23 %
brighter or 7 % darker than the next 6). Mirrored photo padding removes the rim too, but it
changes the flash falloff the network reads the whole material from (held-out generated albedo
RMSE 0.056 -> 0.077), so the rim is cut from the output instead."""


def trim_edges(maps: SVBRDF, pixels: int = EDGE_TRIM) -> SVBRDF:
    """``maps`` with the outer ``pixels`` of every border mirrored from the ones inside them."""
    pixels = min(pixels, (maps.shape[1] - 1) // 3, (maps.shape[2] - 1) // 3)
    if pixels <= 0:
        return maps
    return maps.map(lambda t: F.pad(t[:, :, pixels:-pixels, pixels:-pixels], (pixels,) * 4, mode="reflect"))


def self_ensemble(net: MaterialNet, photos: torch.Tensor, symmetries: tuple[int, ...] = DIHEDRAL,
                  tangent: float = 0.0) -> SVBRDF:
    """Mean of the predictions for rotated/mirrored copies of the photos, each mapped back.

    A flat sample under a co-located flash looks the same rotated, so every symmetry is an
    equally valid view; averaging them cancels the parts of the estimate the network is unsure
    of (uncorrelated relief turns flatter) at the cost of one forward pass per symmetry.
    ``tangent``: the photos' ``half_fov_tangent`` (0: unknown), the same for every symmetry.
    """
    if not symmetries:
        raise ValueError("self_ensemble needs at least one symmetry")
    tangents = torch.full((photos.shape[0],), float(tangent))
    views = (transform_svbrdf(net(transform_image(photos, symmetry), tangents), inverse_symmetry(symmetry)).stacked()
             for symmetry in symmetries)
    total = functools.reduce(torch.add, views)
    mean = trim_edges(SVBRDF.from_stacked(total / len(symmetries)))
    return SVBRDF(normalize_channels(mean.normal), mean.diffuse, mean.roughness, mean.specular)
