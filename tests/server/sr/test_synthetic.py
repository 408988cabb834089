"""Generated flat-toned texture content for SR training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from texforge.server.sr import synthetic, train
from texforge.server.sr.weights import load_network

from .test_train import common_args


def test_generated_crops_are_deterministic_varied_and_mostly_flat() -> None:
    first = [synthetic.synthetic_texture(64, np.random.default_rng(seed)) for seed in range(12)]
    again = [synthetic.synthetic_texture(64, np.random.default_rng(seed)) for seed in range(12)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(crop.shape == (64, 64, 3) and crop.dtype == np.uint8 for crop in first)
    assert len({crop.tobytes() for crop in first}) == 12
    # flat tones: most horizontal neighbours are (nearly) equal, unlike noise or a photo's grain
    flat_shares = [np.mean(np.abs(np.diff(crop.astype(int), axis=1)).max(axis=-1) <= 6) for crop in first]
    assert np.median(flat_shares) > 0.6


def test_pixel_aligned_tilings_have_hard_joints_of_one_tone() -> None:
    rows, cols = np.mgrid[0:96, 0:96].astype(np.float32)
    image = synthetic.tiling((rows, cols), np.random.default_rng(3))
    joint_colours = {tuple(np.round(image[0, x], 6)) for x in range(96)}  # row 0 lies in a joint
    assert len(joint_colours) == 1


def test_pool_makes_up_about_the_asked_share_of_the_training_area() -> None:
    photos = [np.zeros((1024, 1024, 3), np.uint8)] * 3
    pool = synthetic.synthetic_pool(0.25, photos, seed=5)
    generated_area = len(pool) * synthetic.POOL_SIDE**2
    assert generated_area / (generated_area + 3 * 1024**2) == pytest.approx(0.25, abs=0.05)
    assert synthetic.synthetic_pool(0.0, photos, seed=5) == []
    assert np.array_equal(synthetic.synthetic_pool(0.25, photos, seed=5)[0], pool[0])


def test_training_with_a_synthetic_share_records_it(folders: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "synthetic.safetensors"
    assert train.run(common_args(folders, out, "--synthetic-share", "0.3", "--threads", "1")) == 0
    assert load_network(out).card["synthetic_share"] == 0.3
    for bad in ("1", "-0.1"):
        with pytest.raises(ValueError, match="--synthetic-share"):
            train.SRTrainConfig.from_namespace(common_args(folders, out, "--synthetic-share", bad))
