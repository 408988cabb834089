"""Full-resolution detail from the photo itself: the frequencies the estimate cannot hold.

Maps are estimated at the working size (192 px). Everything finer lives in the photo only: in a
flash photo the fine band is the product of albedo texture, relief shading and specular
sparkle, while the flash falloff and hotspot are smooth and stay below the band. So the band
is taken as the photo's log-ratio to its own low-pass at the working size (multiplicative
detail with the lighting divided out) and handed to each map with a gain:

* albedo ``A * exp(albedo_gain * band_rgb)`` (colour detail kept),
* specular ``S * exp(specular_gain * band_y)``, roughness ``R + roughness_gain * band_y``,
* normals tilted by the gradient of a height ``normal_gain * band_y`` (dark reads as low, as in
  grooves, mortar and pores).

The gains are fitted by least squares on tuning materials of the procedural generator rendered
at 1024 px (``bench/material_detail.py --fit``, a seed range apart from the held-out one that
scores them); ``docs/material.md`` ("Full-resolution detail") has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .imaging import gaussian_blur, luminance, normalize_channels
from .render import SVBRDF, srgb_to_linear
from .scales import low_pass

BAND_FLOOR = 0.4
"""Linear radiance added before the log-ratio: keeps the sensor noise of dark areas out of the
band (chosen with the gains on the tuning materials: floors 0.03 / 0.06 / 0.1 / 0.2 / 0.4 explain
17 / 20 / 23 / 27 / 30 % of the albedo band the estimate misses, at sigma 0.8)."""
BAND_SMOOTHING = 0.8
"""Gaussian sigma (output pixels) of the band: per-pixel sensor noise is not surface detail."""
BAND_LIMIT = 1.5
"""Largest |log-ratio| handed on: clipped highlights and dead pixels stay local blips."""


@dataclass(frozen=True)
class DetailGains:
    """How much of the photo's fine band each map takes (0 everywhere: plain upsampling), and
    the band's floor and smoothing the gains were fitted with (a gain means nothing without them)."""

    albedo: float
    specular: float
    roughness: float
    normal: float
    floor: float = BAND_FLOOR
    smoothing: float = BAND_SMOOTHING

    @property
    def off(self) -> bool:
        """True when no map takes any of the band."""
        return not (self.albedo or self.specular or self.roughness or self.normal)


NO_DETAIL = DetailGains(0.0, 0.0, 0.0, 0.0)
PHOTO_DETAIL = DetailGains(albedo=1.70, specular=0.0, roughness=0.0, normal=0.30)
"""The shipped gains (``bench/material_detail.py --fit --match-energy``, 24 tuning materials at
1024 px). Albedo 1.70 makes the estimates' fine-detail share on them equal the truths'; the
least-squares fit (1.29, explains 29.8 % of the band the estimate misses) under-details, since it
stands the truth's own low band in for an estimate that is blurrier still. On 8 held-out
materials 1.70 gives a share of 0.163 (truth 0.142, the fit 0.115) and the lower albedo RMSE
(0.0559 vs 0.0567) and re-render RMSE (0.0803 vs 0.0823). Normal 0.30 is the least-squares fit
(0.3 %); specular (-0.04) and roughness (0.06) explain under 1.5 % with signs the generator draws
at random, so they stay off."""


def photo_band(photo: torch.Tensor, working: tuple[int, int], floor: float = BAND_FLOOR,
               smoothing: float = BAND_SMOOTHING) -> torch.Tensor:
    """Fine band ``(B, 3, H, W)`` of a display-encoded photo: log of linear radiance over its
    low band at the working size, per colour channel."""
    linear = srgb_to_linear(photo.clamp(0, 1)) + floor
    band = (linear.log() - low_pass(linear, working).log()).clamp(-BAND_LIMIT, BAND_LIMIT)
    return gaussian_blur(band, smoothing)


def height_slopes(height: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(dh/dx, dh/dy) per pixel of ``(B, 1, H, W)``, +y up (row 0 is the top), central differences."""
    padded = F.pad(height, (1, 1, 1, 1), mode="replicate")
    dx = (padded[:, :, 1:-1, 2:] - padded[:, :, 1:-1, :-2]) / 2
    dy = (padded[:, :, :-2, 1:-1] - padded[:, :, 2:, 1:-1]) / 2
    return dx, dy


def tilt_normals(normal: torch.Tensor, height: torch.Tensor) -> torch.Tensor:
    """Unit normals of ``normal`` with the relief of ``height`` (pixel units) added."""
    dx, dy = height_slopes(height)
    tilted = torch.cat([normal[:, :1] - dx * normal[:, 2:3], normal[:, 1:2] - dy * normal[:, 2:3], normal[:, 2:3]], dim=1)
    return normalize_channels(tilted)


def detailed_albedo(diffuse: torch.Tensor, band: torch.Tensor, gain: float) -> torch.Tensor:
    """Linear albedo with ``gain`` times the photo's per-channel band multiplied in."""
    return (diffuse * (gain * band).exp()).clamp(0, 1)


def add_photo_detail(svbrdf: SVBRDF, photo: torch.Tensor, working: tuple[int, int], gains: DetailGains) -> SVBRDF:
    """``svbrdf`` (already at ``photo``'s size) with the photo's band above ``working`` added."""
    if gains.off or tuple(photo.shape[2:]) == tuple(working):
        return svbrdf
    band = photo_band(photo, working, gains.floor, gains.smoothing)
    band_y = luminance(band)  # log-ratios mix like the radiances do, to first order
    diffuse = detailed_albedo(svbrdf.diffuse, band, gains.albedo)
    specular = (svbrdf.specular * (gains.specular * band_y).exp()).clamp(0, 1)
    roughness = (svbrdf.roughness + gains.roughness * band_y).clamp(0.02, 1)
    normal = tilt_normals(svbrdf.normal, gains.normal * band_y) if gains.normal else svbrdf.normal
    return SVBRDF(normal, diffuse, roughness, specular)
