"""Quality measures of synthesised textures, shared by the tests and `bench/multiply_quality.py`.

All take float arrays H x W x C (any value range; integer images are scaled to [0, 1] first).

- `seam_ratio`: how visible the wrap-around seam is: the step between the last and first row
  (column) over the mean step between neighbouring interior rows (columns); about 1 for a
  seamless tile, the larger of the two directions.
- `copy_score`: the largest normalised cross-correlation between an image and the exemplar
  tiled periodically, over every shift (FFT); 1.0 means the image is a shifted tiling.
- `twin_score`: the same between two images over every circular shift (two seeds' variations).
- `patch_distance`: sliced Wasserstein distance between the small RGB patches of two images at
  three scales (how different their local statistics are).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def as_float(image: np.ndarray) -> np.ndarray:
    """H x W x C float64; integer images scaled to [0, 1]."""
    array = image[..., None] if image.ndim == 2 else image
    if array.dtype.kind in "ui":
        return array.astype(np.float64) / np.iinfo(array.dtype).max
    return array.astype(np.float64)


def seam_ratio(image: np.ndarray) -> float:
    """Wrap-around step over the mean interior neighbour step, the larger of rows and columns."""
    array = as_float(image)
    ratios = []
    for axis in (0, 1):
        steps = np.abs(np.diff(array, axis=axis)).mean()
        wrap = np.abs(np.take(array, 0, axis=axis) - np.take(array, -1, axis=axis)).mean()
        ratios.append(wrap / max(steps, 1e-12))
    return float(max(ratios))


def _centred(image: np.ndarray) -> np.ndarray:
    array = as_float(image)
    return array - array.mean(axis=(0, 1))


def copy_score(image: np.ndarray, exemplar: np.ndarray) -> float:
    """Largest normalised cross-correlation of `image` with the periodic tiling of `exemplar`.

    The image is folded onto the exemplar's period (every pixel added to its position modulo the
    exemplar's size), so one circular FFT correlation covers every shift of the tiling.
    """
    moving, tile = _centred(image), _centred(exemplar)
    height, width = tile.shape[:2]
    rows, cols = np.arange(moving.shape[0]) % height, np.arange(moving.shape[1]) % width
    folded = np.zeros_like(tile)
    counts = np.zeros((height, width))
    np.add.at(folded, (rows[:, None], cols[None, :]), moving)
    np.add.at(counts, (rows[:, None], cols[None, :]), 1.0)
    numerator = _circular_correlation(folded, tile).sum(axis=-1)
    tiled_energy = _circular_correlation(counts[..., None], (tile ** 2).sum(axis=-1, keepdims=True))[..., 0]
    denominator = np.sqrt((moving ** 2).sum() * np.maximum(tiled_energy, 1e-12))
    return float((numerator / denominator).max())


def twin_score(first: np.ndarray, second: np.ndarray) -> float:
    """Largest normalised circular cross-correlation of two same-size images over every shift."""
    a, b = _centred(first), _centred(second)
    numerator = _circular_correlation(a, b).sum(axis=-1)
    return float(numerator.max() / max(np.sqrt((a ** 2).sum() * (b ** 2).sum()), 1e-12))


def _circular_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """c[s] = sum_p a[p] b[(p + s) mod size], per channel (a and b: same H x W x C)."""
    spectrum = np.conj(np.fft.rfft2(a, axes=(0, 1))) * np.fft.rfft2(b, axes=(0, 1))
    return np.fft.irfft2(spectrum, s=a.shape[:2], axes=(0, 1))


def _downsample(image: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=image.dtype) / 16
    channels = image.shape[1]
    blurred = F.conv2d(F.pad(image, (2, 2, 0, 0), mode="reflect"), kernel.view(1, 1, 1, 5).repeat(channels, 1, 1, 1),
                       groups=channels)
    blurred = F.conv2d(F.pad(blurred, (0, 0, 2, 2), mode="reflect"), kernel.view(1, 1, 5, 1).repeat(channels, 1, 1, 1),
                       groups=channels)
    return blurred[..., ::2, ::2]


def _patch_rows(image: torch.Tensor, patch: int) -> torch.Tensor:
    return F.unfold(image, patch)[0].T


def _sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: int, samples: int,
                        generator: torch.Generator) -> float:
    """Mean over random unit directions of the 1-D Wasserstein-1 distance of the projections."""
    count = min(a.shape[0], b.shape[0], samples)
    a = a[torch.randperm(a.shape[0], generator=generator)[:count]]
    b = b[torch.randperm(b.shape[0], generator=generator)[:count]]
    unit = torch.randn(a.shape[1], directions, generator=generator, dtype=a.dtype)
    unit = unit / unit.norm(dim=0, keepdim=True)
    return float(((a @ unit).sort(dim=0)[0] - (b @ unit).sort(dim=0)[0]).abs().mean())


def patch_distance(image: np.ndarray, reference: np.ndarray, patch: int = 5, scales: int = 3,
                   directions: int = 128, samples: int = 16384, seed: int = 0) -> float:
    """Sliced Wasserstein distance between the `patch` x `patch` RGB patches of two images,
    averaged over `scales` octaves (colour channels beyond three are ignored)."""
    generator = torch.Generator().manual_seed(seed)
    tensors = [torch.from_numpy(as_float(x)[..., :3].copy()).permute(2, 0, 1)[None] for x in (image, reference)]
    total = 0.0
    for _ in range(scales):
        a, b = (_patch_rows(t, patch) for t in tensors)
        total += _sliced_wasserstein(a, b, directions, samples, generator)
        tensors = [_downsample(t) for t in tensors]
    return total / scales
