"""The engine's two jobs: new variations of a texture set, and a photo made tileable.

Both synthesise one coordinate map from the guide (`synthesis.py`) and sample every map with
it (`textures.py`), so a material's maps stay aligned with its image.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .synthesis import DEFAULT_SETTINGS, SynthesisRequest, SynthesisSettings, passes, synthesise
from .textures import TextureSet, guide_of, sample

Progress = Callable[[], None]

MIN_BAND = 4
"""Narrowest band (pixels) that make-seamless may change along an edge."""


def variation(textures: TextureSet, size: tuple[int, int], tileable: bool, seed: int,
              settings: SynthesisSettings = DEFAULT_SETTINGS, progress: Progress = lambda: None,
              device: str = "cpu") -> TextureSet:
    """A new texture set of `size` = (width, height) that looks like `textures` (same seed, same result)."""
    width, height = size
    request = SynthesisRequest(guide_of(textures, device), (height, width), tileable, seed)
    return sample(textures, synthesise(request, settings, progress))


def variation_passes(textures: TextureSet, size: tuple[int, int],
                     settings: SynthesisSettings = DEFAULT_SETTINGS) -> int:
    """How often `variation` calls `progress`."""
    return passes(textures.size, (size[1], size[0]), settings)


def seamless_band(size: tuple[int, int], border: float) -> torch.Tensor:
    """H x W bool: True away from the edges, where make-seamless keeps the photo's pixels."""
    height, width = size
    band_y = max(MIN_BAND, round(border * height))
    band_x = max(MIN_BAND, round(border * width))
    keep = torch.zeros(size, dtype=torch.bool)
    keep[band_y: max(band_y, height - band_y), band_x: max(band_x, width - band_x)] = True
    return keep


def make_seamless(textures: TextureSet, border: float, seed: int = 0,
                  settings: SynthesisSettings = DEFAULT_SETTINGS, progress: Progress = lambda: None,
                  device: str = "cpu") -> TextureSet:
    """`textures` made tileable at their own size: the band of `border` x side along each edge is
    re-synthesised with wrap-around neighbourhoods from the photo's own patches; the rest is kept."""
    keep = seamless_band(textures.size, border).to(device)
    request = SynthesisRequest(guide_of(textures, device), textures.size, True, seed, pinned=keep)
    return sample(textures, synthesise(request, settings, progress))


def seamless_passes(textures: TextureSet, settings: SynthesisSettings = DEFAULT_SETTINGS) -> int:
    """How often `make_seamless` calls `progress`."""
    return passes(textures.size, textures.size, settings)
