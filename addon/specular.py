"""Specular albedo (F0, RGB) -> Principled BSDF's IOR, Specular IOR Level and Specular Tint.

The Principled BSDF (Blender 4.0+) computes a dielectric's reflectance at normal incidence as

    F0 = F0(IOR) * 2 * SpecularIORLevel * SpecularTint,   F0(IOR) = ((IOR - 1) / (IOR + 1))^2

so a Specular IOR Level of 0.5 and a white tint keep the IOR's own F0, and the level scales it
linearly between 0 and 2x. Given the estimated specular albedo S (linear RGB, decoded from sRGB):

    s    = max(S_r, S_g, S_b)                              per pixel: the F0 magnitude
    base = max(0.04, max over the image of s / 2)          so every level fits in [0, 1]
    IOR  = (1 + sqrt(base)) / (1 - sqrt(base))             one value per material (1.5 for plastics)
    SpecularIORLevel = s / (2 * base)                      Non-Color map
    SpecularTint     = S / s  (white where s = 0)          colour map, stored sRGB-encoded

which reproduces F0 = S exactly for every pixel (for opaque materials the IOR only drives the
Fresnel term). Typical dielectrics (S around 0.04) get IOR 1.5, level 0.5 and a white tint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .pixels import linear_to_srgb, srgb_to_linear

DIELECTRIC_F0 = 0.04
"""F0 of IOR 1.5, the Principled BSDF's default."""


@dataclass(frozen=True)
class SpecularInputs:
    """Principled BSDF inputs that reproduce a specular-albedo map."""

    ior: float
    level: np.ndarray
    """H x W float32 in [0, 1]: the Specular IOR Level map (non-colour)."""
    tint: np.ndarray
    """H x W x 3 float32 in [0, 1], sRGB-encoded: the Specular Tint map."""


def ior_from_f0(f0: float) -> float:
    """IOR whose normal-incidence reflectance is `f0` (0 <= f0 < 1)."""
    root = math.sqrt(f0)
    return (1.0 + root) / (1.0 - root)


def specular_inputs(specular_srgb: np.ndarray) -> SpecularInputs:
    """Convert an sRGB-encoded H x W x 3 specular-albedo map; see the module docstring."""
    f0 = srgb_to_linear(specular_srgb[..., :3])
    magnitude = f0.max(axis=-1)
    base = min(max(DIELECTRIC_F0, float(magnitude.max()) / 2.0), 0.95)
    level = np.clip(magnitude / (2.0 * base), 0.0, 1.0).astype(np.float32)
    safe = np.maximum(magnitude, 1e-6)[..., None]
    tint_linear = np.where(magnitude[..., None] > 1e-6, f0 / safe, 1.0)
    return SpecularInputs(ior_from_f0(base), level, linear_to_srgb(tint_linear))
