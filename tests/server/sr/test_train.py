from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr import train
from texforge.server.sr.data import CropSampler, dihedral, with_reductions
from texforge.server.sr.upscaler import NeuralUpscaler
from texforge.server.sr.weights import load_network
from texforge.server.training import loop


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    return parser.parse_args(list(argv))


def common_args(folders: tuple[Path, Path], out: Path, *extra: str) -> argparse.Namespace:
    data, val = folders
    return parse("--data", str(data), "--val", str(val), "--scale", "2", "--steps", "4", "--out", str(out),
                 "--crop", "12", "--batch", "2", "--val-every", "2", "--log-every", "2",
                 "--hparams", json.dumps({"features": 8, "blocks": 1}), *extra)


def test_tiny_run_writes_a_loadable_model(folders: tuple[Path, Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop, "cpu_has_native_bf16", lambda: True)  # the bf16 path, on any CPU
    out = tmp_path / "tiny.safetensors"
    assert train.run(common_args(folders, out, "--hfen", "0.1", "--loss", "mse", "--threads", "1", "--bf16")) == 0
    loaded = load_network(out)
    assert (loaded.family.name, loaded.scale) == ("fastsr", 2)
    assert loaded.card["steps"] == 4 and "psnr_y" in loaded.card["validation"]
    assert loaded.card["hardware"].endswith("1 thread(s), bf16 autocast")
    image = np.zeros((10, 10, 3), np.uint8)
    assert NeuralUpscaler.from_file(out).upscale(UpscaleRequest.of(image, scale=2), JobContext()).shape == (20, 20, 3)


@pytest.mark.parametrize("extra", [(), ("--ema", "0.5")], ids=["plain", "ema"])
def test_resume_continues_to_the_same_weights(folders: tuple[Path, Path], tmp_path: Path, extra: tuple[str, ...]) -> None:
    # A constant learning rate makes the schedule independent of --steps.
    constant = ("--min-lr-ratio", "1", "--warmup", "1", *extra)
    straight = tmp_path / "straight.safetensors"
    train.run(common_args(folders, straight, *constant))
    resumed = tmp_path / "resumed.safetensors"
    train.run(common_args(folders, resumed, "--steps", "2", *constant))
    train.run(common_args(folders, resumed, "--resume", *constant))
    expected, actual = load_network(straight).network.state_dict(), load_network(resumed).network.state_dict()
    for key in expected:
        np.testing.assert_allclose(actual[key].numpy(), expected[key].numpy(), atol=1e-6)
    assert load_network(resumed).card["steps"] == 4


def test_gan_fine_tune_and_realistic_degradation(folders: tuple[Path, Path], tmp_path: Path) -> None:
    psnr = tmp_path / "psnr.safetensors"
    train.run(common_args(folders, psnr, "--steps", "2"))
    sharp = tmp_path / "psnr-sharp.safetensors"
    assert train.run(common_args(folders, sharp, "--gan", "--init", str(psnr), "--degrade", "realistic")) == 0
    assert load_network(sharp).card["variant"] == "sharp"
    assert NeuralUpscaler.from_file(psnr, sharp_path=sharp).descriptor.detail


def test_jpeg_partner_validates_on_jpeg_inputs(folders: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "jpeg.safetensors"
    assert train.run(common_args(folders, out, "--degrade", "jpeg", "--val-jpeg", "75")) == 0
    validation = load_network(out).card["validation"]
    assert validation["jpeg_quality"] == 75 and validation["block_edges"] > 0
    with pytest.raises(ValueError, match="--val-jpeg"):
        train.run(common_args(folders, out, "--val-jpeg", "101"))


def test_gan_needs_an_initial_model(folders: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--init"):
        train.run(common_args(folders, tmp_path / "x.safetensors", "--gan"))


def test_crops_are_aligned_and_augmented(rng: np.random.Generator) -> None:
    image = (rng.random((40, 40, 3)) * 255).astype(np.uint8)
    sampler = CropSampler([image], scale=4, lr_crop=6, degrade="bicubic", rng=rng)
    lr, hr = sampler.batch(5)
    assert lr.shape == (5, 3, 6, 6) and hr.shape == (5, 3, 24, 24)
    assert lr.min() >= 0 and hr.max() <= 1
    assert len({dihedral(image, t).tobytes() for t in range(8)}) == 8


def test_scale_augmentation_adds_reduced_copies_that_are_trained_on(folders: tuple[Path, Path], tmp_path: Path) -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    image[::2] = 255  # a one-pixel grating: its reduced copies are a different texture, not a crop of it
    extended = with_reductions([image], (0.8, 0.5))
    assert [i.shape[:2] for i in extended] == [(40, 60), (32, 48), (20, 30)]
    assert 0 < extended[2].mean() < 255 and extended[2].std() < image.std()
    sampler = CropSampler(extended, scale=2, lr_crop=12, degrade="bicubic", rng=np.random.default_rng(0))
    assert len(sampler.pairs) == 2  # the 20 px copy is smaller than a 24 px HR crop
    out = tmp_path / "aug.safetensors"
    assert train.run(common_args(folders, out, "--scale-aug", "0.9", "--threads", "1")) == 0
    assert load_network(out).card["scale_augmentation"] == [0.9]
    for bad in ("1", "0", "-0.5"):
        with pytest.raises(ValueError, match="--scale-aug"):
            train.SRTrainConfig.from_namespace(common_args(folders, out, "--scale-aug", bad))
