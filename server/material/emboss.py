"""Relief finer than a pixel: embossed materials, photographed supersampled, and the maps that
render those photos at the working size.

A phone photo of embossed paper, leather or knurled metal, reduced to the network's working size,
averages many facets into each pixel: the highlight broadens as if the surface were rougher
(Toksvig 2005). The procedural generator's relief is resolved at the size it is rendered at, so a
network trained on it never sees that, and reads the fine, contrasty relief of such a photo (the
hatching embossed in yellow_box's gold paper, every ~1 px at 256 px) as a glossy surface.

Here a batch is upsampled ``SUPERSAMPLE`` times, given an embossed line screen, cross-hatch or
grain whose period is 0.6-3 pixels of the working size, photographed at that size and its linear
radiance area-averaged, as a sensor does. Its labels are the maps that render it at the working
size: averaged reflectance, the averaged normal, and a roughness widened by the variance of the
facets' slopes within each pixel, ``alpha_eff**2 = alpha**2 + TOKSVIG_GAIN * variance``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .procedural import in_patches, line_screen
from .render import SVBRDF

SUPERSAMPLE = 4
"""Facets per pixel side of an embossed photo."""

EMBOSS_PERIOD_PX = (0.6, 3.0)
"""Range (log-uniform) of the embossing's period, in pixels of the working size."""

EMBOSS_SLOPE = (0.05, 0.6)
"""Range (log-uniform) of the embossing's largest slope (tan of 3-31 degrees)."""

TOKSVIG_GAIN = 2.0
"""How much of the slopes' variance within a pixel (per axis) widens GGX's alpha squared: 2, as for
a Beckmann lobe of that slope variance; ``bench/material_emboss.py`` measured it as the gain whose
labels best relight 16 held-out embossed captures (0.0322; 1.5: 0.0327, 3: 0.0326, 0: 0.0524)."""


def slopes_of(normal: torch.Tensor) -> torch.Tensor:
    """Height-field slopes ``(B, 2, H, W)`` (dh/dx, dh/dy) of unit normals ``(B, 3, H, W)``."""
    return -normal[:, :2] / normal[:, 2:3].clamp_min(1e-3)


def normals_of(slopes: torch.Tensor) -> torch.Tensor:
    """Unit normals ``(B, 3, H, W)`` of height-field slopes ``(B, 2, H, W)``."""
    return F.normalize(torch.cat([-slopes, torch.ones_like(slopes[:, :1])], dim=1), dim=1)


def upsampled(maps: SVBRDF, factor: int) -> SVBRDF:
    """``maps`` at ``factor`` times their size, each pixel repeated: ``working_size_maps`` of them
    gives ``maps`` back exactly, so an embossed batch's labels differ from its maps only by what the
    embossing does."""
    return maps.map(lambda t: t.repeat_interleave(factor, dim=2).repeat_interleave(factor, dim=3))


def emboss_slopes(size: int, supersample: int, g: torch.Generator) -> torch.Tensor:
    """Slopes ``(1, 2, size, size)`` of one random embossing drawn at ``size`` = ``supersample`` x the working
    size: a line screen, cross-hatch or wavy engraving of raised lines, all over or in places."""
    period_px = (EMBOSS_PERIOD_PX[0] * supersample, EMBOSS_PERIOD_PX[1] * supersample)
    height = line_screen(size, g, period_px)
    if float(torch.rand((), generator=g)) < 0.5:  # cross-hatched
        height = torch.maximum(height, line_screen(size, g, period_px))
    if float(torch.rand((), generator=g)) < 0.4:  # embossed in places only
        height = height * in_patches(size, g)
    dx = (torch.roll(height, -1, dims=1) - torch.roll(height, 1, dims=1)) * 0.5
    dy = (torch.roll(height, 1, dims=0) - torch.roll(height, -1, dims=0)) * 0.5
    slopes = torch.stack([dx, dy])[None]
    low, high = (math.log(s) for s in EMBOSS_SLOPE)
    largest = math.exp(low + (high - low) * float(torch.rand((), generator=g)))
    return slopes * (largest / slopes.abs().amax().clamp_min(1e-6))


def embossed(maps: SVBRDF, g: torch.Generator, supersample: int = SUPERSAMPLE) -> SVBRDF:
    """``maps`` upsampled ``supersample`` times with a random embossing on each item's relief."""
    fine = upsampled(maps, supersample)
    size = fine.normal.shape[-1]
    relief = torch.cat([emboss_slopes(size, supersample, g) for _ in range(fine.normal.shape[0])])
    return SVBRDF(normals_of(slopes_of(fine.normal) + relief), fine.diffuse, fine.roughness, fine.specular)


def working_size_maps(fine: SVBRDF, supersample: int = SUPERSAMPLE, toksvig_gain: float = TOKSVIG_GAIN) -> SVBRDF:
    """The maps that render ``fine``'s supersampled photo at 1 / ``supersample`` of its size:
    reflectance and normals averaged, roughness widened by the slopes' variance in each pixel."""
    def mean(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, supersample)

    slopes = slopes_of(fine.normal)
    variance = (mean(slopes ** 2) - mean(slopes) ** 2).clamp_min(0).sum(dim=1, keepdim=True) / 2
    alpha_squared = mean(fine.roughness ** 4) + toksvig_gain * variance
    roughness = alpha_squared.clamp_min(0) ** 0.25
    normal = F.normalize(mean(fine.normal), dim=1)
    return SVBRDF(normal, mean(fine.diffuse), roughness.clamp(0.0, 1.0), mean(fine.specular))
