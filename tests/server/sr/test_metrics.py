from __future__ import annotations

import math

import numpy as np
import pytest

from texforge.server.sr.metrics import (
    bicubic_downscale,
    bicubic_upscale,
    brick_wall,
    crop_to_multiple,
    psnr_rgb,
    psnr_y,
    rgb_to_y,
    ssim_y,
)


def test_identical_images_score_perfectly(rng: np.random.Generator) -> None:
    image = (rng.random((32, 32, 3)) * 255).astype(np.uint8)
    assert math.isinf(psnr_y(image, image, 4))
    assert ssim_y(image, image, 4) == pytest.approx(1.0)


def test_psnr_of_a_known_error() -> None:
    target = np.full((20, 20, 3), 100, np.uint8)
    output = target.copy()
    output[..., 1] += 10  # Y changes by 10 * 128.553 / 255
    expected = 10 * np.log10(255**2 / (10 * 128.553 / 255) ** 2)
    assert psnr_y(output, target, 2) == pytest.approx(expected)


def test_rgb_psnr_counts_every_channel_and_only_the_shaved_interior() -> None:
    target = np.full((20, 20, 3), 100, np.uint8)
    output = target.copy()
    output[..., 0] += 12  # one channel of three off by 12: mse 48
    output[:2] = 0  # inside the shaved border: ignored
    assert psnr_rgb(output, target, 2) == pytest.approx(10 * np.log10(255**2 / 48))
    assert math.isinf(psnr_rgb(target, target, 2))


def test_brick_wall_has_mortar_lines_of_the_asked_width() -> None:
    wall = brick_wall(size=96, brick_height=24, mortar=3)
    mortar_rows = np.flatnonzero((wall == wall.max(axis=(0, 1))).all(axis=(1, 2)))
    assert set(mortar_rows) == {course * 24 + line for course in range(4) for line in range(3)}
    assert wall.shape == (96, 96, 3) and wall.dtype == np.uint8


def test_y_range_is_bt601_studio_swing() -> None:
    assert rgb_to_y(np.zeros((1, 1, 3), np.uint8))[0, 0] == pytest.approx(16.0)
    assert rgb_to_y(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx(235.0)


def test_bicubic_degradation_shapes(rng: np.random.Generator) -> None:
    image = crop_to_multiple((rng.random((37, 50, 3)) * 255).astype(np.uint8), 4)
    assert image.shape == (36, 48, 3)
    small = bicubic_downscale(image, 4)
    assert small.shape == (9, 12, 3) and bicubic_upscale(small, 4).shape == image.shape
    with pytest.raises(ValueError):
        bicubic_downscale(image[:35], 4)


def test_block_edge_strength_sees_a_jpeg_grid_and_not_a_smooth_image() -> None:
    from texforge.server.sr.degrade import jpeg_roundtrip
    from texforge.server.sr.metrics import block_edge_strength

    y, x = np.mgrid[0:128, 0:128]
    smooth = np.stack([(x * 2) % 256, (y * 2) % 256, ((x + y)) % 256], axis=-1).astype(np.uint8)
    assert block_edge_strength(smooth, 8) == pytest.approx(1.0, abs=0.05)
    compressed = jpeg_roundtrip(smooth, 20)
    assert block_edge_strength(compressed, 8) > 1.3
    assert block_edge_strength(compressed, 8) > block_edge_strength(compressed, 7)  # the grid is 8 px


def test_jpeg_degradation_compresses_most_crops_and_keeps_some_clean() -> None:
    from texforge.server.sr.degrade import jpeg_degrade
    from texforge.server.sr.metrics import bicubic_downscale, block_edge_strength

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:192, 0:192]
    hr = np.stack([(x * 3) % 256, (y * 5) % 256, (x * y) % 256], axis=-1).astype(np.uint8)
    outputs = [jpeg_degrade(hr, 2, rng) for _ in range(30)]
    assert all(out.shape == (96, 96, 3) for out in outputs)
    clean = bicubic_downscale(hr, 2)
    changed = sum(not np.array_equal(out, clean) for out in outputs)
    assert 20 <= changed < 30
    assert np.mean([block_edge_strength(out, 8) for out in outputs]) > block_edge_strength(clean, 8)
