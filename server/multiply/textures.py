"""Textures as the synthesis sees them: one float guide to compare neighbourhoods on, and exact
sampling of every map with the synthesised coordinates.

Sampling copies pixels, so every output keeps its input's dtype and channels (alpha included),
its values are the exemplar's own, and normal maps stay unit-length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

MAP_WEIGHT = 0.5
"""Weight of each extra map in the guide, against 1 for the image: maps steer, the image leads."""
MAX_GUIDE_CHANNELS = 6
"""Guides with more channels (an image and several maps) are reduced to this many principal components."""
_HDR_LIMIT = 4.0
"""Float images reaching above this are compared in log space, so highlights do not dominate."""


@dataclass(frozen=True)
class TextureSet:
    """An image and its maps, all of one height and width (each H x W x C, C in 1..4)."""

    image: np.ndarray
    maps: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, array in self.maps.items():
            if array.shape[:2] != self.image.shape[:2]:
                raise ValueError(f"map {name!r} is {array.shape[1]}x{array.shape[0]}; the image is "
                                 f"{self.image.shape[1]}x{self.image.shape[0]}")

    @property
    def size(self) -> tuple[int, int]:
        """Height and width."""
        return int(self.image.shape[0]), int(self.image.shape[1])


def as_float(array: np.ndarray) -> np.ndarray:
    """H x W x C float32: integers scaled to [0, 1], floats as they are."""
    array = array[..., None] if array.ndim == 2 else array
    if array.dtype.kind in "ui":
        return array.astype(np.float32) / np.float32(np.iinfo(array.dtype).max)
    return array.astype(np.float32)


def _standardised(array: np.ndarray, weight: float) -> np.ndarray:
    values = as_float(array)
    if array.dtype.kind == "f" and float(np.abs(values).max(initial=0.0)) > _HDR_LIMIT:
        values = np.sign(values) * np.log1p(np.abs(values))
    centred = values - values.mean(axis=(0, 1))
    spread = float(np.sqrt((centred ** 2).mean())) or 1.0
    return centred * np.float32(weight / spread)


def guide_of(textures: TextureSet, device: str | torch.device = "cpu") -> torch.Tensor:
    """C x H x W float32 guide: the image and each map standardised and weighted, at most
    MAX_GUIDE_CHANNELS channels (principal components beyond that)."""
    blocks = [_standardised(textures.image, 1.0)]
    blocks += [_standardised(array, MAP_WEIGHT) for array in textures.maps.values()]
    guide = np.concatenate(blocks, axis=2)
    if guide.shape[2] > MAX_GUIDE_CHANNELS:
        guide = _principal_channels(guide, MAX_GUIDE_CHANNELS)
    return torch.from_numpy(np.ascontiguousarray(guide.transpose(2, 0, 1))).to(device)


def _principal_channels(guide: np.ndarray, count: int) -> np.ndarray:
    pixels = guide.reshape(-1, guide.shape[2])
    sample = pixels[:: max(1, pixels.shape[0] // 65536)].astype(np.float64)
    _, vectors = np.linalg.eigh(np.cov(sample, rowvar=False))
    return (pixels @ vectors[:, ::-1][:, :count].astype(np.float32)).reshape(*guide.shape[:2], count)


def sample(textures: TextureSet, coords: torch.Tensor) -> TextureSet:
    """Every map (and the image) copied from the exemplar at `coords` (2 x H x W: row, column)."""
    rows, cols = (axis.cpu().numpy() for axis in coords)
    return TextureSet(_take(textures.image, rows, cols),
                      {name: _take(array, rows, cols) for name, array in textures.maps.items()})


def _take(array: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array[rows, cols])
