"""Artist-made map sets as extra training materials, read from rows of square tiles.

An exemplar file is a row of square tiles whose last four are normal, diffuse, roughness and
specular in the Deschaintre conventions (``decode_strip_maps``: normal (n + 1) / 2 tangent space
+Y up; diffuse, roughness and specular linear, used as stored), so ``maps512_*`` (4 tiles),
``multi10renders_*`` (10 renders then 4 maps) and ``sample_*`` (a flash photo then 4 maps) files
load alike; their flash photo tiles are display-encoded (sRGB), like any photo. Training crops an
exemplar at a random scale and position, applies one of the 8 rotations/mirrors (normals rotated
with the image) and permutes the colour channels of diffuse and specular together, so a handful
of real materials yields many distinct ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .render import SVBRDF, decode_normal, encode_normal
from .symmetry import transform_svbrdf

MAP_TILES = 4
"""Tiles at the end of an exemplar row: normal, diffuse, roughness, specular."""

STRIP_MAPS = ("normal", "albedo", "roughness", "specular")
"""The map tiles in row order, as the strip encoding keys them (albedo: the diffuse tile)."""


def decode_strip_maps(encoded: Mapping[str, torch.Tensor]) -> SVBRDF:
    """Maps in the strips' encoding (keyed by ``STRIP_MAPS``) -> linear SVBRDF.

    The one definition of the Deschaintre strip encoding: normal (n + 1) / 2; diffuse albedo,
    perceptual roughness and specular F0 linear, as stored (no gamma: their reference renderer
    reads the tiles with only the [-1, 1] -> [0, 1] mapping; a dielectric's specular tile reads
    0.043, F0 0.04). Roughness may have 1 or 3 (equal) channels.
    """
    return SVBRDF(decode_normal(encoded["normal"]), encoded["albedo"].clamp(0.0, 1.0),
                  encoded["roughness"][:, :1].clamp(0.0, 1.0), encoded["specular"].clamp(0.0, 1.0))


def encode_strip_maps(svbrdf: SVBRDF) -> dict[str, torch.Tensor]:
    """Linear SVBRDF -> maps in the strips' encoding, keyed by ``STRIP_MAPS``; the inverse of
    ``decode_strip_maps`` up to clipping to [0, 1]."""
    return {
        "normal": encode_normal(svbrdf.normal).clamp(0.0, 1.0),
        "albedo": svbrdf.diffuse.clamp(0.0, 1.0),
        "roughness": svbrdf.roughness.clamp(0.0, 1.0),
        "specular": svbrdf.specular.clamp(0.0, 1.0),
    }


def strip_tiles(tiles: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """The last four tiles of a row, as stored, keyed by ``STRIP_MAPS`` (roughness 1 channel)."""
    encoded = dict(zip(STRIP_MAPS, tiles[-MAP_TILES:], strict=True))
    encoded["roughness"] = encoded["roughness"][:, :1]
    return encoded


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
    return decode_strip_maps(strip_tiles(tiles))


def read_strip(path: Path) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """A ``sample_*`` strip as stored: (flash photo tile, map tiles keyed by ``STRIP_MAPS``).

    The data's README calls the photo tile display-encoded; ``bench/material_calibrate.py`` fits
    it best as linear radiance (docs/material.md, "Strip conventions")."""
    tiles = read_tiles(path, minimum=MAP_TILES + 1)
    return tiles[0], strip_tiles(tiles)


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
