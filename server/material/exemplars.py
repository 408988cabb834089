"""Artist-made map sets as extra training materials, and the dihedral symmetries of a map set.

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

MAP_TILES = 4
"""Tiles at the end of an exemplar row: normal, diffuse, roughness, specular."""
DIHEDRAL = tuple(range(8))
"""The 8 symmetries of the square: bit 0 mirrors x, bit 1 mirrors y, bit 2 transposes."""


def load_exemplar(path: Path) -> SVBRDF:
    """The linear maps ``(1, C, T, T)`` of the last four square tiles of ``path``."""
    from PIL import Image

    with Image.open(path) as image:
        array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    tile = array.shape[0]
    if array.shape[1] % tile or array.shape[1] // tile < MAP_TILES:
        raise ValueError(f"{path}: expected a row of at least {MAP_TILES} square tiles, got {array.shape[1]}x{tile}")
    count = array.shape[1] // tile
    tiles = [torch.from_numpy(array[:, i * tile:(i + 1) * tile]).permute(2, 0, 1)[None].contiguous()
             for i in range(count - MAP_TILES, count)]
    return decode_maps(tiles[0], tiles[1], tiles[2][:, :1], tiles[3])


def transform_image(x: torch.Tensor, symmetry: int) -> torch.Tensor:
    """Apply dihedral ``symmetry`` to image tensors ``(B, C, H, W)`` (pixels only)."""
    if symmetry & 1:
        x = x.flip(3)
    if symmetry & 2:
        x = x.flip(2)
    if symmetry & 4:
        x = x.transpose(2, 3)
    return x


def transform_normals(normal: torch.Tensor, symmetry: int) -> torch.Tensor:
    """Move normals with the pixels under ``symmetry`` and rotate their x, y to match.

    Mirroring columns negates x; mirroring rows negates y (+Y points up the image); a
    transpose maps image x to -y and y to -x, so (x, y) -> (-y, -x).
    """
    n = transform_image(normal, symmetry)
    x, y, z = n[:, 0:1], n[:, 1:2], n[:, 2:3]
    if symmetry & 1:
        x = -x
    if symmetry & 2:
        y = -y
    if symmetry & 4:
        x, y = -y, -x
    return torch.cat([x, y, z], dim=1)


def inverse_symmetry(symmetry: int) -> int:
    """The symmetry that undoes ``symmetry`` (a transpose after mirrors swaps which axis was mirrored)."""
    if symmetry & 4:
        return 4 | ((symmetry & 1) << 1) | ((symmetry & 2) >> 1)
    return symmetry


def transform_svbrdf(svbrdf: SVBRDF, symmetry: int) -> SVBRDF:
    """Apply dihedral ``symmetry`` to every map, normals rotated consistently."""
    return SVBRDF(transform_normals(svbrdf.normal, symmetry), transform_image(svbrdf.diffuse, symmetry),
                  transform_image(svbrdf.roughness, symmetry), transform_image(svbrdf.specular, symmetry))


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
