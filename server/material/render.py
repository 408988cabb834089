"""Differentiable SVBRDF renderer for a flat material sample, in torch.

Conventions (also in CONVENTIONS.md next to this file):

* Tensors are channel-first batches ``(B, C, H, W)``.
* World frame: the sample lies in the plane z = 0, centred on the origin; +x points to the
  right of the image, +y to its top, +z out of the surface towards the camera. Row 0 of an
  image is the top edge (largest y).
* The tangent frame of the flat sample equals the world frame, so a normal map stores
  (x, y, z) with +Y up: the OpenGL convention Blender's Normal Map node expects. Encoded
  normals are (n + 1) / 2.
* ``SVBRDF`` holds *linear* quantities: diffuse albedo and specular F0 (both linear RGB),
  perceptual roughness r in [0, 1] with GGX alpha = r**2, and unit normals. The files a user
  sees store albedo and specular sRGB-encoded, roughness linear (see ``encode_maps``).
* BRDF: Lambertian diffuse ``albedo / pi`` plus Cook-Torrance specular ``D G F / (4 n.l n.v)``
  with the GGX (Trowbridge-Reitz) distribution, the separable Smith-GGX masking-shadowing
  and Schlick's Fresnel with F0 = specular.
* Lights are isotropic points with radiant intensity ``intensity`` (per colour channel);
  the irradiance falls off with the squared distance. Photos are linear radiance times
  exposure, plus sensor noise, encoded with ``x ** (1 / gamma)`` and clipped to [0, 1].
* The default capture (``CaptureSetup``) is a phone with a flash next to the lens, looking
  straight at a sample of width 2 that fills the frame; its field of view, light intensity
  and gamma were fitted against an independent renderer (``bench/material_calibrate.py``), under
  an old, wrong sRGB reading of that renderer's maps (CONVENTIONS.md, "Deschaintre strips").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

EPS = 1e-6


@dataclass(frozen=True)
class CaptureSetup:
    """Camera and flash geometry of a photo of a flat sample of width ``sample_size``."""

    fov_degrees: float = 60.0
    """Full horizontal field of view of the camera; the sample fills the frame."""
    light_intensity: float = 16.0
    """Radiant intensity of the flash, in units where the sample is 2 wide."""
    gamma: float = 2.2
    """Display gamma of the photo encoding."""
    sample_size: float = 2.0
    """Width of the photographed sample in world units."""

    @property
    def camera_distance(self) -> float:
        """Distance from the camera to the sample so that the sample fills the frame."""
        return 0.5 * self.sample_size / math.tan(math.radians(self.fov_degrees) / 2)

    def with_fov(self, fov_degrees: float) -> "CaptureSetup":
        """The same setup with another field of view."""
        return replace(self, fov_degrees=fov_degrees)


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


@dataclass
class SVBRDF:
    """Linear SVBRDF maps of a flat sample; every field is ``(B, C, H, W)``."""

    normal: torch.Tensor
    """Unit tangent-space normals, 3 channels, +Y up."""
    diffuse: torch.Tensor
    """Linear diffuse albedo, 3 channels in [0, 1]."""
    roughness: torch.Tensor
    """Perceptual roughness, 1 channel in [0, 1]; GGX alpha = roughness ** 2."""
    specular: torch.Tensor
    """Linear specular reflectance at normal incidence (F0), 3 channels in [0, 1]."""

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> "SVBRDF":
        """Apply ``fn`` to every map (crop, resize, detach ...)."""
        return SVBRDF(fn(self.normal), fn(self.diffuse), fn(self.roughness), fn(self.specular))

    @property
    def shape(self) -> tuple[int, int, int]:
        """(batch, height, width)."""
        b, _, h, w = self.normal.shape
        return b, h, w

    def stacked(self) -> torch.Tensor:
        """All maps concatenated along channels: normal 3, diffuse 3, roughness 1, specular 3."""
        return torch.cat([self.normal, self.diffuse, self.roughness, self.specular], dim=1)

    @staticmethod
    def from_stacked(stack: torch.Tensor) -> "SVBRDF":
        """Inverse of ``stacked``."""
        return SVBRDF(stack[:, 0:3], stack[:, 3:6], stack[:, 6:7], stack[:, 7:10])


# ---------------------------------------------------------------------------------------------
# colour encodings


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    """IEC 61966-2-1 sRGB decoding."""
    x = x.clamp(0.0, 1.0)
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    """IEC 61966-2-1 sRGB encoding."""
    x = x.clamp(0.0, 1.0)
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp_min(1e-8) ** (1 / 2.4) - 0.055)


def encode_normal(normal: torch.Tensor) -> torch.Tensor:
    """Unit normals -> [0, 1] colours, (n + 1) / 2."""
    return (normal + 1.0) * 0.5


def decode_normal(encoded: torch.Tensor) -> torch.Tensor:
    """[0, 1] colours -> unit normals (a flat +Z normal where the colour is degenerate)."""
    n = encoded * 2.0 - 1.0
    n = torch.cat([n[:, :2], n[:, 2:3].clamp_min(1e-3)], dim=1)
    return F.normalize(n, dim=1, eps=EPS)


def encode_maps(svbrdf: SVBRDF) -> dict[str, torch.Tensor]:
    """User-facing maps (registry conventions): sRGB albedo and specular, encoded normal."""
    roughness = svbrdf.roughness.clamp(0.0, 1.0)
    return {
        "albedo": linear_to_srgb(svbrdf.diffuse),
        "specular": linear_to_srgb(svbrdf.specular),
        "normal": encode_normal(svbrdf.normal).clamp(0.0, 1.0),
        "glossiness": 1.0 - roughness,
        "roughness": roughness,
    }


def decode_maps(normal: torch.Tensor, albedo: torch.Tensor, roughness: torch.Tensor,
                specular: torch.Tensor) -> SVBRDF:
    """User-facing encoded maps -> linear SVBRDF."""
    return SVBRDF(decode_normal(normal), srgb_to_linear(albedo), roughness.clamp(0.0, 1.0),
                  srgb_to_linear(specular))


# ---------------------------------------------------------------------------------------------
# geometry


def surface_positions(height: int, width: int, sample_size: float = 2.0,
                      device: torch.device | str = "cpu",
                      dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """World positions of pixel centres, ``(1, 3, H, W)``; the sample is ``sample_size`` wide."""
    pixel = sample_size / width
    xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) * pixel - sample_size / 2
    ys = (height / 2 - (torch.arange(height, device=device, dtype=dtype) + 0.5)) * pixel
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx, yy, torch.zeros_like(xx)], dim=0).unsqueeze(0)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(dim=1, keepdim=True)


def per_batch(value: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    """Scalar, (B,) or (B, C) -> a tensor broadcastable against (B, C, H, W)."""
    t = torch.as_tensor(value, dtype=like.dtype, device=like.device)
    if t.dim() == 0:
        return t
    if t.dim() == 1:
        return t.reshape(-1, 1, 1, 1)
    return t.reshape(t.shape[0], t.shape[1], 1, 1)


def _as_points(p: torch.Tensor) -> torch.Tensor:
    """(3,) or (B, 3) -> (B, 3, 1, 1)."""
    return p.reshape(-1, 3, 1, 1)


# ---------------------------------------------------------------------------------------------
# BRDF terms


def ggx_distribution(n_dot_h: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """GGX / Trowbridge-Reitz normal distribution D(h)."""
    a2 = alpha * alpha
    denom = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0
    return a2 / (math.pi * denom * denom).clamp_min(EPS)


def smith_ggx_g1(n_dot_x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Smith masking of one direction for GGX: 2 n.x / (n.x + sqrt(a^2 + (1 - a^2) n.x^2))."""
    a2 = alpha * alpha
    return 2.0 * n_dot_x / (n_dot_x + torch.sqrt(a2 + (1.0 - a2) * n_dot_x * n_dot_x)).clamp_min(EPS)


def schlick_fresnel(f0: torch.Tensor, cos_theta: torch.Tensor) -> torch.Tensor:
    """Schlick's approximation F0 + (1 - F0)(1 - cos)^5."""
    return f0 + (1.0 - f0) * (1.0 - cos_theta).clamp(0.0, 1.0) ** 5


def brdf(svbrdf: SVBRDF, wi: torch.Tensor, wo: torch.Tensor) -> torch.Tensor:
    """Cook-Torrance GGX + Lambert BRDF value for unit directions ``wi``, ``wo`` (B, 3, H, W)."""
    n = svbrdf.normal
    h = F.normalize(wi + wo, dim=1, eps=EPS)
    n_dot_l = _dot(n, wi).clamp_min(EPS)
    n_dot_v = _dot(n, wo).clamp_min(EPS)
    n_dot_h = _dot(n, h).clamp(0.0, 1.0)
    alpha = (svbrdf.roughness * svbrdf.roughness).clamp_min(1e-3)
    d = ggx_distribution(n_dot_h, alpha)
    g = smith_ggx_g1(n_dot_l, alpha) * smith_ggx_g1(n_dot_v, alpha)
    f = schlick_fresnel(svbrdf.specular, _dot(wi, h).clamp(0.0, 1.0))
    specular = d * g * f / (4.0 * n_dot_l * n_dot_v)
    return svbrdf.diffuse / math.pi + specular


def render_point_light(svbrdf: SVBRDF, light_pos: torch.Tensor, camera_pos: torch.Tensor,
                       light_intensity: torch.Tensor | float, sample_size: float = 2.0) -> torch.Tensor:
    """Linear radiance towards the camera under one point light; ``(B, 3, H, W)``.

    ``light_pos``/``camera_pos`` are (3,) or (B, 3) world positions; ``light_intensity`` a
    scalar, (B,) or (B, 3) radiant intensity.
    """
    _, h, w = svbrdf.shape
    p = surface_positions(h, w, sample_size, svbrdf.normal.device, svbrdf.normal.dtype)
    to_light = _as_points(light_pos) - p
    dist2 = _dot(to_light, to_light).clamp_min(EPS)
    wi = to_light / dist2.sqrt()
    wo = F.normalize(_as_points(camera_pos) - p, dim=1, eps=EPS)
    cos_in = _dot(svbrdf.normal, wi).clamp_min(0.0)
    visible = (_dot(svbrdf.normal, wo) > 0).to(p.dtype)
    intensity = per_batch(light_intensity, p)
    return brdf(svbrdf, wi, wo) * cos_in * visible * intensity / dist2


def render_environment(svbrdf: SVBRDF, ambient: torch.Tensor, light_dirs: torch.Tensor,
                       light_colors: torch.Tensor) -> torch.Tensor:
    """Linear radiance of the sample under soft ambient light plus distant lights, seen from above.

    Used for no-flash "guide" photos. ``ambient``: (B, 3) radiance of a uniform sky (its
    diffuse irradiance is pi * ambient, reduced where the normal tilts away from the sky);
    ``light_dirs``: (B, K, 3) unit directions towards K distant lights; ``light_colors``:
    (B, K, 3) their irradiance at normal incidence. The view is orthographic from +Z.
    """
    n = svbrdf.normal
    b = n.shape[0]
    wo = torch.zeros_like(n)
    wo[:, 2] = 1.0
    sky_visibility = (0.5 + 0.5 * n[:, 2:3])  # cosine-weighted fraction of the upper hemisphere
    radiance = svbrdf.diffuse * ambient.reshape(b, 3, 1, 1) * sky_visibility
    # a uniform sky also reflects specularly, roughly F0 times its radiance
    radiance = radiance + svbrdf.specular * ambient.reshape(b, 3, 1, 1) * sky_visibility
    for k in range(light_dirs.shape[1]):
        wi = light_dirs[:, k].reshape(b, 3, 1, 1).expand_as(n)
        cos_in = _dot(n, wi).clamp_min(0.0)
        radiance = radiance + brdf(svbrdf, wi, wo) * cos_in * light_colors[:, k].reshape(b, 3, 1, 1)
    return radiance


def expose(radiance: torch.Tensor, exposure: torch.Tensor | float = 1.0, gamma: float = 2.2,
           noise_std: torch.Tensor | float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Linear radiance -> encoded photo in [0, 1]: exposure, additive sensor noise, gamma, clip."""
    linear = radiance * per_batch(exposure, radiance)
    noise = per_batch(noise_std, radiance)
    if bool((noise > 0).any()):
        # shot-noise-like: the standard deviation grows with the square root of the signal
        shot = torch.randn(linear.shape, generator=generator, dtype=linear.dtype, device=linear.device)
        linear = linear + shot * noise * (linear.clamp_min(0.0) + 1e-3).sqrt()
    return linear.clamp(0.0, 1.0).clamp_min(1e-8) ** (1.0 / gamma)


def metered_exposure(radiance: torch.Tensor, mean_linear: torch.Tensor | float) -> torch.Tensor:
    """Per-photo exposure ``(B,)`` that brings ``radiance``'s mean to ``mean_linear``, as a camera's
    auto-exposure meters a scene."""
    return mean_linear / radiance.mean(dim=(1, 2, 3)).clamp_min(1e-6)


CLIPPED = 0.98
"""Display value from which a photo pixel counts as clipped: it says only "at least this bright"."""


def linear_and_valid(photo: torch.Tensor, gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``expose``'s inverse for a display-encoded photo: its linear light, and its unclipped pixels
    ``(B, 1, H, W)`` (1 where no channel is clipped)."""
    return photo.clamp(0, 1) ** gamma, (photo < CLIPPED).all(dim=1, keepdim=True).to(photo.dtype)


class FlashRenderer:
    """Renders an SVBRDF as a phone-flash photo: camera and point light at the same spot."""

    def __init__(self, setup: CaptureSetup | None = None) -> None:
        self.setup = setup or CaptureSetup()

    def flash_position(self, batch: int = 1, device: torch.device | str = "cpu",
                       dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """World position of the co-located camera and flash, ``(B, 3)``."""
        pos = torch.tensor([0.0, 0.0, self.setup.camera_distance], device=device, dtype=dtype)
        return pos.expand(batch, 3)

    def radiance(self, svbrdf: SVBRDF) -> torch.Tensor:
        """Linear flash-lit radiance, before exposure and encoding."""
        b = svbrdf.shape[0]
        pos = self.flash_position(b, svbrdf.normal.device, svbrdf.normal.dtype)
        return render_point_light(svbrdf, pos, pos, self.setup.light_intensity, self.setup.sample_size)

    def photo(self, svbrdf: SVBRDF) -> torch.Tensor:
        """Encoded flash photo in [0, 1] (no noise, unit exposure)."""
        return expose(self.radiance(svbrdf), 1.0, self.setup.gamma)
