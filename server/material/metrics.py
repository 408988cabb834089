"""Image measures the material benches and tests share: fine-detail energy, border bands, radial profiles."""

from __future__ import annotations

import torch

from .imaging import luminance

HIGH_BAND_CUTOFF = 1 / 8
"""Fine detail starts at this fraction of the Nyquist frequency (the issue's measure)."""


def _plane(image: torch.Tensor) -> torch.Tensor:
    """``(H, W)`` of ``(1, C, H, W)``: the luminance of three channels, else the first channel."""
    return (luminance(image) if image.shape[1] == 3 else image[:, :1])[0, 0]


def high_band_fraction(image: torch.Tensor, cutoff: float = HIGH_BAND_CUTOFF) -> float:
    """Share of the spectral energy (mean removed) above ``cutoff`` x Nyquist of ``(1, C, H, W)``.

    Three-channel images are measured on their luminance. A Hann window keeps the image's
    borders from reading as fine detail.
    """
    plane = _plane(image).double()
    h, w = plane.shape
    window = torch.outer(torch.hann_window(h, periodic=False, dtype=torch.float64),
                         torch.hann_window(w, periodic=False, dtype=torch.float64))
    spectrum = torch.fft.fft2((plane - plane.mean()) * window).abs() ** 2
    fy, fx = torch.fft.fftfreq(h, dtype=torch.float64), torch.fft.fftfreq(w, dtype=torch.float64)
    radius = (fy[:, None] ** 2 + fx[None, :] ** 2).sqrt()
    total = float(spectrum[radius > 0].sum())
    return float(spectrum[radius > cutoff * 0.5].sum()) / total if total > 0 else 0.0


def border_band(image: torch.Tensor, width: int = 8) -> float:
    """Mean luminance of the outer ``width``-px ring over that of the next ring in: 1.0 when the
    border carries no band; above 1 a bright band, below a dark one."""
    values = _plane(image)
    h, w = values.shape
    outer = torch.ones(h, w, dtype=torch.bool)
    outer[width:h - width, width:w - width] = False
    inner = torch.zeros(h, w, dtype=torch.bool)
    inner[width:h - width, width:w - width] = True
    inner[3 * width:h - 3 * width, 3 * width:w - 3 * width] = False
    return float(values[outer].mean() / values[inner].mean().clamp_min(1e-8))


def radial_profile(image: torch.Tensor, rings: int = 8) -> list[float]:
    """Mean luminance in ``rings`` concentric rings from the centre to the corners, each over the
    whole image's mean: a de-lit uniform surface reads flat (1.0 everywhere)."""
    plane = _plane(image)
    h, w = plane.shape
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    ring = ((yy ** 2 + xx ** 2).sqrt() / (2 ** 0.5) * rings).long().clamp(max=rings - 1)
    mean = plane.mean().clamp_min(1e-8)
    return [float(plane[ring == k].mean() / mean) for k in range(rings)]


def chroma(rgb: torch.Tensor) -> torch.Tensor:
    """Chromaticity ``(B, 3)``: each image's mean colour over its channel sum (grey: 1/3 each)."""
    mean = rgb.mean(dim=(2, 3))
    return mean / mean.sum(dim=1, keepdim=True).clamp_min(1e-8)
