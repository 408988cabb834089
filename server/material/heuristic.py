"""Heuristic SVBRDF from one flash photo, no network (Materialize-style): instant baseline.

* albedo: the photo, linearised, with the flash's inverse-square and cosine falloff divided
  out and the remaining low-frequency shading (the highlight blob) flattened;
* normal: from the gradients of a high-passed log-luminance "height";
* specular: a constant dielectric F0 of 0.04;
* roughness: from local contrast (busy, textured surfaces are rough; smooth ones less so).
"""

from __future__ import annotations

import math

import torch

from .imaging import gaussian_blur, luminance
from .procedural import height_to_normal
from .render import SVBRDF, CaptureSetup, surface_positions

DIELECTRIC_F0 = 0.04


def flash_falloff(height: int, width: int, setup: CaptureSetup) -> torch.Tensor:
    """Irradiance of a flat sample under the co-located flash, relative to the centre, (1, 1, H, W)."""
    p = surface_positions(height, width, setup.sample_size)
    d = setup.camera_distance
    dist2 = p[:, 0:1] ** 2 + p[:, 1:2] ** 2 + d * d
    return (d / dist2.sqrt()) / dist2 * d * d


def heuristic_svbrdf(photo: torch.Tensor, setup: CaptureSetup | None = None,
                     normal_strength: float = 1.0) -> SVBRDF:
    """Estimate linear maps from a flash photo ``(1, 3, H, W)`` in [0, 1] (display-encoded)."""
    setup = setup or CaptureSetup()
    _, _, h, w = photo.shape
    linear = photo.clamp(1e-4, 1.0) ** setup.gamma
    flat = linear / flash_falloff(h, w, setup)
    shading = gaussian_blur(luminance(flat), sigma=max(h, w) / 8)
    level = shading.median()
    # radiance = albedo / pi * E; E at the centre is I / d^2
    irradiance = setup.light_intensity / setup.camera_distance ** 2
    diffuse = (flat / shading.clamp_min(1e-4) * level * math.pi / irradiance).clamp(0, 1)

    log_lum = torch.log(luminance(diffuse) + 1e-3)
    height_field = log_lum - gaussian_blur(log_lum, sigma=max(h, w) / 32)
    normal = height_to_normal(gaussian_blur(height_field, 0.7), normal_strength * max(h, w) / 256)

    contrast = (gaussian_blur(height_field ** 2, sigma=max(h, w) / 64)).sqrt()
    contrast = contrast / (contrast.mean() * 2 + 1e-6)
    roughness = (0.35 + 0.5 * contrast).clamp(0.2, 0.95)
    specular = torch.full_like(diffuse, DIELECTRIC_F0)
    return SVBRDF(normal, diffuse, roughness, specular)
