"""The engine's two jobs: new variations of a texture set, and a photo made tileable.

Both make one coordinate map from the guide and sample every map with it (`textures.py`), so a
material's maps stay aligned with its image. Variations are quilted (`quilting.py`: large
patches keep boards, bricks and tiles whole) wherever the sizes allow it, and synthesised pixel
by pixel (`synthesis.py`) where the output or the exemplar is too small for patches; make-seamless
is always pixel synthesis, which changes only what must change (measured in docs/multiply.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

from .quilting import DEFAULT_QUILT, QuiltSettings, layout, quilt, quilt_passes
from .synthesis import DEFAULT_SETTINGS, SynthesisRequest, SynthesisSettings, passes, rolled_to_calm_edges, synthesise
from .textures import TextureSet, guide_of, sample

Progress = Callable[[], None]

MIN_BAND = 4
"""Narrowest band (pixels) that make-seamless may change along an edge."""


Method = Literal["auto", "quilt", "pixel"]
"""How variations are made: "auto" quilts where the sizes allow it (see `method_for`)."""


def method_for(exemplar_size: tuple[int, int], output_size: tuple[int, int], tileable: bool,
               quilt_settings: QuiltSettings = DEFAULT_QUILT, method: Method = "auto") -> Method:
    """The method a variation of these sizes (height, width) is made with."""
    if method != "auto":
        return method
    return "quilt" if layout(exemplar_size, output_size, tileable, quilt_settings) is not None else "pixel"


def variation(textures: TextureSet, size: tuple[int, int], tileable: bool, seed: int,
              settings: SynthesisSettings = DEFAULT_SETTINGS, progress: Progress = lambda: None,
              device: str = "cpu", quilt_settings: QuiltSettings = DEFAULT_QUILT, method: Method = "auto") -> TextureSet:
    """A new texture set of `size` = (width, height) that looks like `textures` (same seed, same result)."""
    width, height = size
    guide = guide_of(textures, device)
    if method_for(textures.size, (height, width), tileable, quilt_settings, method) == "quilt":
        generator = torch.Generator().manual_seed(seed)
        coords = quilt(guide, (height, width), tileable, generator, quilt_settings, progress)
        if tileable:  # the grid's lines are where seams gather; keep them off the image's edges
            coords = rolled_to_calm_edges(coords, guide, generator)
        return sample(textures, coords)
    return sample(textures, synthesise(SynthesisRequest(guide, (height, width), tileable, seed), settings, progress))


def variation_passes(textures: TextureSet, size: tuple[int, int], tileable: bool,
                     settings: SynthesisSettings = DEFAULT_SETTINGS, quilt_settings: QuiltSettings = DEFAULT_QUILT,
                     method: Method = "auto") -> int:
    """How often `variation` calls `progress`."""
    exemplar, output = textures.size, (size[1], size[0])
    if method_for(exemplar, output, tileable, quilt_settings, method) == "quilt":
        return quilt_passes(exemplar, output, tileable, quilt_settings)
    return passes(exemplar, output, settings)


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
