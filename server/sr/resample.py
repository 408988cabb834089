"""Separable antialiased bicubic resampling, produced band by band.

Used for exact output sizes (`--size WxH`): the network output is resized to the requested size
without materialising a second full-size float image, so memory stays bounded by one band.
Weights are PIL's: Keys cubic (a = -0.5), stretched by the reduction factor when shrinking
(antialiasing), renormalised to sum to one. Borders either wrap (tileable textures stay
seamless) or drop the taps outside the image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

_BAND_ELEMENTS = 1 << 23
"""Gathered elements per band (32 MiB of float32): bounds the temporary memory."""


@dataclass(frozen=True)
class AxisTaps:
    """For every output index along one axis: the input indices it reads and their weights."""

    indices: torch.Tensor
    """(out, taps) long."""
    weights: torch.Tensor
    """(out, taps) float32, each row summing to one."""


def keys_cubic(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    """The Keys cubic convolution kernel (support [-2, 2])."""
    x = x.abs()
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return torch.where(x < 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


def axis_taps(in_length: int, out_length: int, wrap: bool) -> AxisTaps:
    """Bicubic taps mapping `in_length` samples to `out_length` (pixel centres aligned)."""
    if in_length < 1 or out_length < 1:
        raise ValueError(f"cannot resample {in_length} samples to {out_length}")
    scale = in_length / out_length
    stretch = max(scale, 1.0)
    support = 2.0 * stretch
    centres = (torch.arange(out_length, dtype=torch.float64) + 0.5) * scale
    first = torch.floor(centres - support).long()
    taps = math.ceil(2 * support) + 1
    indices = first[:, None] + torch.arange(taps)[None, :]
    weights = keys_cubic((indices.double() + 0.5 - centres[:, None]) / stretch)
    if wrap:
        indices = indices % in_length
    else:
        inside = (indices >= 0) & (indices < in_length)
        weights = torch.where(inside, weights, torch.zeros_like(weights))
        indices = indices.clamp(0, in_length - 1)
    weights = weights / weights.sum(dim=1, keepdim=True)
    return AxisTaps(indices, weights.float())


def _apply_taps(image: torch.Tensor, indices: torch.Tensor, weights: torch.Tensor, dim: int) -> torch.Tensor:
    """Resample a C x H x W tensor along `dim` (1: rows, 2: columns) with (out, taps) indices and weights."""
    out_length, count = indices.shape
    shape = list(image.shape)
    shape[dim:dim + 1] = [out_length, count]
    gathered = image.index_select(dim, indices.reshape(-1)).view(shape)
    weight_shape = [1] * len(shape)
    weight_shape[dim:dim + 2] = [out_length, count]
    return (gathered * weights.view(weight_shape)).sum(dim + 1)


def resample_banded(image: torch.Tensor, height: int, width: int, wrap: bool,
                    sink: Callable[[int, torch.Tensor], None]) -> None:
    """Resize a C x H x W float image to C x `height` x `width`, handing `sink(row, band)` each band."""
    channels, in_height, in_width = image.shape
    row_taps = axis_taps(in_height, height, wrap)
    column_taps = axis_taps(in_width, width, wrap)
    per_row = channels * max(row_taps.indices.shape[1] * in_width, column_taps.indices.shape[1] * width)
    band_rows = max(1, _BAND_ELEMENTS // per_row)
    for start in range(0, height, band_rows):
        end = min(height, start + band_rows)
        rows = _apply_taps(image, row_taps.indices[start:end], row_taps.weights[start:end], dim=1)
        sink(start, _apply_taps(rows, column_taps.indices, column_taps.weights, dim=2))
