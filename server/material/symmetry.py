"""The 8 symmetries of the square (rotations and mirrors) applied to photos and SVBRDF maps.

Normals are vectors in the image frame, so moving their pixels is not enough: their x and y
turn with the image. Training uses this to augment exemplar maps, inference to self-ensemble.
"""

from __future__ import annotations

import torch

from .render import SVBRDF

DIHEDRAL = tuple(range(8))
"""The 8 symmetries of the square: bit 0 mirrors x, bit 1 mirrors y, bit 2 transposes."""


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
