"""The quality measures mean what bench/multiply_quality.py says they mean."""

from __future__ import annotations

import numpy as np

from texforge.server.multiply import metrics
from texforge.server.multiply.random_phase import random_phase_noise

from .conftest import smooth_noise


def tile_of(size: tuple[int, int] = (32, 40), seed: int = 0) -> np.ndarray:
    """A tileable RGB texture: noise made periodic by the random-phase construction."""
    return random_phase_noise(np.stack([smooth_noise(size, seed)] * 3, axis=-1), (size[1], size[0]), seed)


def test_seam_ratio_is_about_one_for_a_tile_and_large_for_a_cut() -> None:
    tile = tile_of()
    assert 0.5 < metrics.seam_ratio(tile) < 1.5
    ramp = np.linspace(0, 1, 64)[None, :, None].repeat(16, axis=0)
    assert metrics.seam_ratio(ramp) > 20


def test_copy_score_is_one_for_a_shifted_tiling_and_low_for_other_textures() -> None:
    exemplar = smooth_noise((24, 20), 1)[..., None]
    tiling = np.roll(np.tile(exemplar, (3, 4, 1)), (5, 7), axis=(0, 1))[:70, :75]
    assert metrics.copy_score(tiling, exemplar) > 0.99  # partial periods at the edges shift the means a little
    assert metrics.copy_score(smooth_noise((70, 75), 9)[..., None], exemplar) < 0.6


def test_twin_score_sees_through_circular_shifts() -> None:
    first = smooth_noise((40, 48), 2)[..., None]
    assert metrics.twin_score(first, np.roll(first, (11, 3), axis=(0, 1))) > 0.999
    assert metrics.twin_score(first, smooth_noise((40, 48), 3)[..., None]) < 0.7


def test_patch_distance_is_zero_for_the_same_statistics_and_grows_with_scrambling() -> None:
    image = np.stack([smooth_noise((48, 48), 4)] * 3, axis=-1)
    assert metrics.patch_distance(image, image) == 0.0
    scrambled = np.random.default_rng(0).permutation(image.reshape(-1, 3)).reshape(image.shape)
    assert metrics.patch_distance(scrambled, image) > 3 * metrics.patch_distance(np.roll(image, 9, axis=1), image)


def test_random_phase_noise_keeps_the_mean_and_tiles() -> None:
    exemplar = np.stack([smooth_noise((32, 32), 5), smooth_noise((32, 32), 6), np.zeros((32, 32))], axis=-1)
    noise = random_phase_noise(exemplar, (64, 48), seed=0)
    assert noise.shape == (48, 64, 3)
    assert np.allclose(noise.mean(axis=(0, 1)), exemplar.mean(axis=(0, 1)), atol=1e-6)
    assert metrics.seam_ratio(noise) < 1.5
