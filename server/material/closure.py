"""Shading closure: the part of the flash photo the estimated maps do not explain goes to the albedo.

A network's maps re-rendered under the photo's own flash never reproduce the photo exactly:
relief it reads too weakly, colour and brightness variation it smooths away. Every such
difference is evidence about the surface, and the one map that can hold it without inventing
geometry is the albedo. So the maps are rendered under the estimated capture (an exposure gain
fitted on the unclipped pixels, as the flash power is unknown), the diffuse share of the photo
is divided by the diffuse share of the render, and that ratio multiplies the albedo:

* only its band above ``low_cut`` px: below it lie the flash falloff and the hotspot, where a
  wrong field of view or highlight shape would print as a bright or dark disc in the albedo;
* ``strength`` of its log (1: the render reproduces the photo's band exactly);
* clipped pixels carry no diffuse evidence, nor do pixels whose render is half specular or more;
  the ratio is trusted less the more specular the render is, and its coarse part is taken over
  trusted pixels only (a highlight leaves no halo).

It runs at the working size, after refinement; the photo's band above the working size reaches
the albedo through ``detail.py``. The settings are chosen on held-out generated materials
(``bench/material_closure.py``); ``docs/material.md`` ("Shading closure") has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .render import SVBRDF, CaptureSetup, FlashRenderer, capture_for, linear_and_valid
from .scales import low_pass

RATIO_LIMIT = 1.5
"""Largest |log-ratio| handed on: a dead pixel or a glint stays a local blip."""
SPECULAR_SHARE_LIMIT = 0.5
"""Pixels whose render is more than this share specular carry too little diffuse evidence."""
FOV_CANDIDATES = (20.0, 25.0, 30.0, 37.0, 45.0, 55.0, 65.0, 75.0)
"""Fields of view (degrees) tried when the request does not know the photo's."""
FIT_SIDE = 16
"""Side (px) of the low band the field of view is fitted on: the falloff and hotspot, not detail."""


@dataclass(frozen=True)
class ShadingClosure:
    """How much of the unexplained shading goes to the albedo (0: none), the coarsest scale it
    may have (the ratio's band above a ``low_cut``-px low-pass; 0: every scale but the mean), and
    whether an unknown field of view is first fitted to the photo's falloff (``fit_fov``)."""

    strength: float
    low_cut: int
    fit_fov: bool = False

    @property
    def off(self) -> bool:
        """True when the albedo is left as estimated."""
        return self.strength == 0


NO_CLOSURE = ShadingClosure(strength=0.0, low_cut=0)
SHADING_CLOSURE = ShadingClosure(strength=1.0, low_cut=6)
"""The shipped settings, chosen with ``bench/material_closure.py`` on held-out generated data
(24 multi-view captures at 20-30 degrees, 48 materials at 40-75 degrees, the uniform surface; the
field of view not told), material-1shot stage 11, none -> 1/6: relight 0.0910 -> 0.0882, albedo
0.0532 -> 0.0528, 40-degree render 0.1025 -> 0.1010, uniform centre 0.950 -> 0.950. 0.7/6, 1/4
and 0.7/3 score within 0.0012 of it. Without the specular trust (a hard mask at half specular)
lower cuts relit better but printed the flash falloff of a lens other than the assumed one into
the albedo (1/2: uniform centre 0.83) and left halos around highlights on real photos; fitting
the field of view to the falloff (``fit_fov``) relit better untold (0.0862-0.0873) but left a
hotspot (centre 1.10-1.23), so it is off."""


def exposure_gain(rendered: torch.Tensor, photo_linear: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Least-squares gain ``(B, 1, 1, 1)`` bringing ``rendered`` to ``photo_linear`` on ``valid`` pixels."""
    weight = valid.expand_as(rendered)
    num = (rendered * photo_linear * weight).sum(dim=(1, 2, 3), keepdim=True)
    return num / (rendered * rendered * weight).sum(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)


def low_pass_to_side(x: torch.Tensor, side: int) -> torch.Tensor:
    """``scales.low_pass`` of ``x`` to a longer side of ``side`` pixels, aspect kept."""
    h, w = x.shape[2:]
    return low_pass(x, (max(1, round(h * side / max(h, w))), max(1, round(w * side / max(h, w)))))


def falloff_error(svbrdf: SVBRDF, photo: torch.Tensor, capture: CaptureSetup) -> float:
    """How far the maps' flash render under ``capture`` is from the photo in its low band (log RMSE
    over unclipped pixels, after the exposure gain)."""
    full = FlashRenderer(capture).radiance(svbrdf)
    photo_linear, valid = linear_and_valid(photo, capture.gamma)
    gain = exposure_gain(full, photo_linear, valid)
    difference = low_pass_to_side((photo_linear + 1e-3).log() - (full * gain + 1e-3).log(), FIT_SIDE)
    return float(((difference ** 2) * valid).sum() / (valid.sum() * 3).clamp_min(1))


def fitted_capture(svbrdf: SVBRDF, photo: torch.Tensor, capture: CaptureSetup) -> CaptureSetup:
    """``capture`` with the candidate field of view under which the maps best explain the photo's falloff."""
    return min((capture_for(capture, fov) for fov in FOV_CANDIDATES),
               key=lambda candidate: falloff_error(svbrdf, photo, candidate))


def unexplained_log_ratio(svbrdf: SVBRDF, photo: torch.Tensor, capture: CaptureSetup) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel log of (photo's diffuse share / render's diffuse share) and how far each pixel
    can be trusted (``(B, 1, H, W)`` in [0, 1]: 0 where clipped or where the render is at least
    ``SPECULAR_SHARE_LIMIT`` specular, rising to 1 where it is all diffuse); ``photo``
    display-encoded at the maps' size."""
    renderer = FlashRenderer(capture)
    full = renderer.radiance(svbrdf)
    diffuse = renderer.radiance(replace(svbrdf, specular=torch.zeros_like(svbrdf.specular)))
    specular = full - diffuse
    photo_linear, valid = linear_and_valid(photo, capture.gamma)
    gain = exposure_gain(full, photo_linear, valid)
    photo_diffuse = photo_linear / gain - specular
    specular_share = (specular / full.clamp_min(1e-6)).amax(dim=1, keepdim=True)
    trust = valid * (1 - specular_share / SPECULAR_SHARE_LIMIT).clamp(0, 1)
    trust = trust * (photo_diffuse > 0).all(dim=1, keepdim=True).to(photo.dtype)
    ratio = photo_diffuse.clamp_min(1e-6).log() - diffuse.clamp_min(1e-6).log()
    return (ratio * (trust > 0)).clamp(-RATIO_LIMIT, RATIO_LIMIT), trust


def close_shading(svbrdf: SVBRDF, photo: torch.Tensor, capture: CaptureSetup, closure: ShadingClosure,
                  fov_known: bool = False) -> SVBRDF:
    """``svbrdf`` with ``closure.strength`` of the photo's unexplained diffuse band in its albedo;
    ``fov_known``: ``capture`` has the photo's own field of view (else it may be fitted)."""
    if closure.off:
        return svbrdf
    if closure.fit_fov and not fov_known:
        capture = fitted_capture(svbrdf, photo, capture)
    log_ratio, trust = unexplained_log_ratio(svbrdf, photo, capture)
    # the coarse part is taken over trusted pixels only, so a highlight leaves no halo around it
    if closure.low_cut:
        coarse = (low_pass_to_side(log_ratio * trust, closure.low_cut)
                  / low_pass_to_side(trust, closure.low_cut).clamp_min(1e-3))
    else:
        coarse = (log_ratio * trust).sum(dim=(2, 3), keepdim=True) / trust.sum(dim=(2, 3), keepdim=True).clamp_min(1e-3)
    band = (log_ratio - coarse) * trust
    return replace(svbrdf, diffuse=(svbrdf.diffuse * (closure.strength * band).exp()).clamp(0, 1))
