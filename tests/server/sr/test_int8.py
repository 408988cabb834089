"""int8 FastSR: calibrated ranges round-trip through the weights file, the int8 network stays close
to fp32, and models without ranges fall back to fp32."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.fast import FastSRParams, build
from texforge.server.sr.int8 import Int8FastSR, calibrate, store_ranges
from texforge.server.sr.upscaler import NeuralUpscaler
from texforge.server.sr.weights import load_network, read_safetensors, save_network


def smooth_images(count: int, size: int = 24, seed: int = 0) -> list[torch.Tensor]:
    """Blurred random images in [0, 1]: structure at several scales, like LR photos."""
    g = torch.Generator().manual_seed(seed)
    images = []
    for _ in range(count):
        noise = torch.rand(1, 3, size // 4, size // 4, generator=g)
        coarse = torch.nn.functional.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)
        images.append((coarse + 0.05 * torch.rand(1, 3, size, size, generator=g)).clamp(0, 1))
    return images


def trained_looking_net(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = build(2, FastSRParams(features=8, blocks=2)).eval()
    with torch.no_grad():  # larger residual weights than the near-identity start, as training leaves them
        for block in net.body:
            block.conv2.weight.mul_(5)
        net.upsampler.weight.mul_(5)
    return net


def test_int8_output_is_close_to_fp32_but_quantised() -> None:
    net = trained_looking_net()
    ranges = calibrate(net, smooth_images(8))
    quantised = Int8FastSR(net, ranges).eval()
    image = smooth_images(1, 32, seed=9)[0]
    with torch.no_grad():
        exact, reduced = net(image), quantised(image)
    assert exact.shape == reduced.shape == (1, 3, 64, 64)
    error = float((exact - reduced).abs().max())
    assert 0 < error < 0.02, error
    # zero stays exact: a range always includes it
    assert all(low <= 0 <= high for low, high in ranges.values())


def test_a_network_lacking_ranges_is_refused() -> None:
    net = trained_looking_net()
    ranges = calibrate(net, smooth_images(2))
    del ranges["body.1.sum"]
    with pytest.raises(ValueError, match="body.1.sum"):
        Int8FastSR(net, ranges)


def test_ranges_round_trip_through_the_weights_file_and_select_int8(tmp_path: Path) -> None:
    net = trained_looking_net()
    path = tmp_path / "tiny.safetensors"
    save_network(path, net, get_family("fastsr"), 2, FastSRParams(features=8, blocks=2), {"data": "test"})
    before, _ = read_safetensors(path)
    plain = NeuralUpscaler.from_file(path, precision="int8")
    assert plain.precision == "fp32" and not isinstance(plain.network, Int8FastSR)  # no ranges yet: fp32
    ranges = calibrate(net, smooth_images(4))
    store_ranges(path, ranges)
    after, metadata = read_safetensors(path)
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    loaded = load_network(path)
    assert loaded.int8_ranges == pytest.approx({k: pytest.approx(v, abs=1e-5) for k, v in ranges.items()})
    assert loaded.card == {"data": "test"}
    upscaler = NeuralUpscaler.from_file(path, precision="int8")
    assert upscaler.precision == "int8" and isinstance(upscaler.network, Int8FastSR)
    assert NeuralUpscaler.from_file(path, precision="fp32").precision == "fp32"


def test_the_calibration_command_stores_ranges_and_refuses_other_architectures(tmp_path: Path) -> None:
    data = tmp_path / "hr"
    data.mkdir()
    for index, image in enumerate(smooth_images(3, size=96, seed=4)):
        Image.fromarray((image[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(data / f"{index}.png")
    path = tmp_path / "tiny.safetensors"
    save_network(path, trained_looking_net(), get_family("fastsr"), 2, FastSRParams(features=8, blocks=2))
    done = subprocess.run([sys.executable, "-m", "texforge.server.cli", "train", "int8", "--weights", str(path),
                           "--data", str(data), "--crops", "4", "--crop", "32", "--threads", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert NeuralUpscaler.from_file(path, precision="int8").precision == "int8"
    other = tmp_path / "srcae.safetensors"
    srcae = get_family("srcae")
    save_network(other, srcae.build(2, srcae.hparams_type()), srcae, 2, srcae.hparams_type())
    refused = subprocess.run([sys.executable, "-m", "texforge.server.cli", "train", "int8", "--weights", str(other),
                              "--data", str(data), "--crops", "1", "--crop", "32"], capture_output=True, text=True,
                             timeout=300)
    assert refused.returncode != 0 and "FastSR" in refused.stderr and "Traceback" not in refused.stderr
