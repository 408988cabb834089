"""Quilting: least-error cuts, reproducible per seed, tileable, structure kept, directional exemplars stretched."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from texforge.server.multiply import metrics
from texforge.server.multiply.quilting import (
    QuiltSettings,
    correlation_lengths,
    layout,
    new_side,
    quilt,
    quilt_passes,
    stretch_of,
    vertical_cut,
)
from texforge.server.multiply.synthesis import SynthesisRequest, synthesise
from texforge.server.multiply.textures import TextureSet
from texforge.server.multiply.variations import method_for, variation, variation_passes

from .conftest import noise_guide, smooth_noise


def brick_wall(size: tuple[int, int] = (96, 96), course: int = 12, brick: int = 24, seed: int = 0) -> np.ndarray:
    """H x W float in [0, 1]: bricks with 2-pixel mortar joints, every other course offset by half a
    brick, a little noise on each brick's tone."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: size[0], : size[1]]
    course_index = rows // course
    shifted = cols + (course_index % 2) * (brick // 2)
    brick_index = shifted // brick
    tone = 0.55 + 0.25 * rng.random((course_index.max() + 1, brick_index.max() + 1))[course_index, brick_index]
    wall = tone + 0.04 * rng.standard_normal(size)
    mortar = (rows % course < 2) | (shifted % brick < 2)
    return np.where(mortar, 0.1, wall).clip(0, 1)


def image_of(guide: torch.Tensor, coords: torch.Tensor) -> np.ndarray:
    return guide.numpy().transpose(1, 2, 0)[coords[0].numpy(), coords[1].numpy()]


def test_the_cut_is_the_least_error_path() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        height, width = rng.integers(1, 6), rng.integers(1, 5)
        error = rng.random((height, width))
        path = vertical_cut(error)
        assert np.all(np.abs(np.diff(path)) <= 1)
        paths = (p for p in itertools.product(range(width), repeat=height) if np.all(np.abs(np.diff(p)) <= 1))
        best = min(sum(error[row, column] for row, column in enumerate(p)) for p in paths)
        assert sum(error[row, column] for row, column in enumerate(path)) == pytest.approx(best)


def test_a_patch_keeps_what_lies_outside_each_overlapping_sides_cut() -> None:
    error = np.ones((10, 12))
    error[:, 2] = 0  # a free path down the third column of the left strip
    new = new_side(error, (3, 4), (False, False, True, False))
    assert not new[:, :2].any() and new[:, 2:].all()


def test_the_same_seed_gives_the_same_quilt_and_another_seed_another() -> None:
    guide = noise_guide((64, 64))
    first = quilt(guide, (96, 112), True, torch.Generator().manual_seed(3))
    assert torch.equal(first, quilt(guide, (96, 112), True, torch.Generator().manual_seed(3)))
    other = quilt(guide, (96, 112), True, torch.Generator().manual_seed(4))
    assert (first != other).any(0).float().mean() > 0.5


@pytest.mark.parametrize("size", [(40, 40), (75, 130), (131, 67)])
@pytest.mark.parametrize("wrap", [False, True])
def test_every_output_pixel_copies_one_inside_the_exemplar(size: tuple[int, int], wrap: bool) -> None:
    guide = noise_guide((60, 72))
    coords = quilt(guide, size, wrap, torch.Generator().manual_seed(0))
    assert coords.shape == (2, *size) and coords.dtype == torch.long
    assert coords[0].min() >= 0 and coords[0].max() < 60 and coords[1].min() >= 0 and coords[1].max() < 72


def test_a_wrapped_quilt_tiles_and_is_not_the_exemplar_tiled() -> None:
    guide = noise_guide((64, 64), seed=2)
    exemplar = guide.numpy().transpose(1, 2, 0)
    images = [image_of(guide, quilt(guide, (128, 128), True, torch.Generator().manual_seed(seed))) for seed in range(3)]
    assert np.median([metrics.seam_ratio(image) for image in images]) < 1.3
    assert metrics.seam_ratio(exemplar) > 2
    assert max(metrics.copy_score(image, exemplar) for image in images) < 0.8


def mortar_courses(image: np.ndarray) -> float:
    """Fraction of the rows that are (nearly) all mortar: straight courses survive, masonry does not."""
    dark = image[..., 0] < 0.2
    return float((dark.mean(axis=1) > 0.8).mean())


def test_brick_courses_stay_straight() -> None:
    wall = brick_wall()
    guide = torch.from_numpy(wall[None].astype(np.float32))
    expected = mortar_courses(wall[..., None])
    quilted = image_of(guide, quilt(guide, (192, 192), True, torch.Generator().manual_seed(1)))
    pixels = image_of(guide, synthesise(SynthesisRequest(guide, (192, 192), True, seed=1)))
    assert mortar_courses(quilted) > 0.7 * expected  # courses run across the whole output
    assert mortar_courses(pixels) < 0.5 * expected  # what pixel synthesis made of the same wall


def test_boards_are_told_apart_and_patches_stretched_along_them() -> None:
    boards = brick_wall((96, 96), course=16, brick=400)  # long boards: joints only every 16 rows
    guide = torch.from_numpy(boards[None].astype(np.float32))
    lengths = correlation_lengths(guide, QuiltSettings().correlation_level)
    assert lengths[1] > 3 * lengths[0]
    assert stretch_of(lengths)[1] > 1.0 and stretch_of(lengths)[0] == 1.0
    assert stretch_of((lengths[1], lengths[0]))[0] > 1.0
    assert stretch_of(correlation_lengths(noise_guide((96, 96)), 0.5)) == (1.0, 1.0)


def test_boards_running_down_the_image_are_quilted_along_the_height() -> None:
    boards = brick_wall((96, 96), course=16, brick=400).T.copy()
    guide = torch.from_numpy(boards[None].astype(np.float32))
    coords = quilt(guide, (160, 160), True, torch.Generator().manual_seed(2))
    assert coords[0].max() < 96 and coords[1].max() < 96
    made = image_of(guide, coords)[..., 0].T[..., None]
    assert mortar_courses(made) > 0.7 * mortar_courses(boards.T[..., None])


@pytest.mark.parametrize("vertical", [False, True])
def test_progress_is_reported_as_often_as_announced(vertical: bool) -> None:
    boards = brick_wall((96, 96), course=16, brick=400)
    guide = torch.from_numpy((boards.T if vertical else boards)[None].astype(np.float32).copy())
    calls: list[int] = []
    quilt(guide, (150, 170), True, torch.Generator().manual_seed(0), progress=lambda: calls.append(1))
    assert len(calls) == quilt_passes((96, 96), (150, 170), True)


def test_small_outputs_and_exemplars_fall_back_to_pixel_synthesis() -> None:
    assert layout((64, 64), (20, 20), True) is None
    assert method_for((64, 64), (20, 20), True) == "pixel"
    assert method_for((30, 30), (256, 256), True) == "pixel"
    assert method_for((64, 64), (128, 128), True) == "quilt"
    textures = TextureSet((smooth_noise((64, 64), 0)[..., None] * 255).astype(np.uint8))
    calls: list[int] = []
    made = variation(textures, (20, 20), True, seed=0, progress=lambda: calls.append(1))
    assert made.image.shape == (20, 20, 1) and len(calls) == variation_passes(textures, (20, 20), True)
