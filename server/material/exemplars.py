"""Artist-made map sets as extra training materials, read from rows of square tiles.

An exemplar file is a row of square tiles whose last four are normal, diffuse, roughness and
specular in the Deschaintre conventions (normal (n + 1) / 2 tangent space +Y up, diffuse and
specular sRGB, roughness linear), so ``maps512_*`` (4 tiles) and ``multi10renders_*`` (10 renders
then 4 maps) files load alike. Training crops an exemplar at a random scale and position, applies
one of the 8 rotations/mirrors (normals rotated with the image) and permutes the colour channels
of diffuse and specular together, so a handful of real materials yields many distinct ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .render import SVBRDF, decode_maps
from .symmetry import transform_svbrdf

MAP_TILES = 4
"""Tiles at the end of an exemplar row: normal, diffuse, roughness, specular."""


def read_tiles(path: Path, minimum: int = MAP_TILES) -> list[torch.Tensor]:
    """The square tiles of a row image, left to right, each ``(1, 3, T, T)`` in [0, 1]."""
    from PIL import Image

    with Image.open(path) as image:
        array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    tile = array.shape[0]
    if array.shape[1] % tile or array.shape[1] // tile < minimum:
        raise ValueError(f"{path}: expected a row of at least {minimum} square tiles, got {array.shape[1]}x{tile}")
    return [torch.from_numpy(array[:, i * tile:(i + 1) * tile]).permute(2, 0, 1)[None].contiguous()
            for i in range(array.shape[1] // tile)]


def maps_from_tiles(tiles: list[torch.Tensor]) -> SVBRDF:
    """The linear maps encoded in the last four tiles (normal, diffuse, roughness, specular)."""
    normal, diffuse, roughness, specular = tiles[-MAP_TILES:]
    return decode_maps(normal, diffuse, roughness[:, :1], specular)


def load_exemplar(path: Path) -> SVBRDF:
    """The linear maps ``(1, C, T, T)`` of the last four square tiles of ``path``."""
    return maps_from_tiles(read_tiles(path))


def random_exemplar_crop(exemplar: SVBRDF, size: int, g: torch.Generator) -> SVBRDF:
    """A ``size`` px augmented crop of one exemplar: random scale, position, symmetry, channel order."""
    _, height, width = exemplar.shape
    side_max = min(height, width)
    side_min = min(size, side_max)
    side = int(round(side_min + (side_max - side_min) * float(torch.rand((), generator=g))))
    top = int(torch.randint(height - side + 1, (), generator=g))
    left = int(torch.randint(width - side + 1, (), generator=g))
    crop = exemplar.map(lambda t: t[:, :, top:top + side, left:left + side])
    if side != size:
        crop = crop.map(lambda t: F.interpolate(t, size=(size, size), mode="area" if side > size else "bilinear",
                                                align_corners=None if side > size else False))
        crop = SVBRDF(F.normalize(crop.normal, dim=1), crop.diffuse, crop.roughness, crop.specular)
    crop = transform_svbrdf(crop, int(torch.randint(8, (), generator=g)))
    order = torch.randperm(3, generator=g)
    return SVBRDF(crop.normal, crop.diffuse[:, order], crop.roughness, crop.specular[:, order])
