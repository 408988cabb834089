"""The shipped fast models are the CPU defaults and beat bicubic, through a real server and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from texforge.protocol import Client, NamedImage
from texforge.server.imageio import read_image, write_image

from .test_cli import texforge


def bricks(size: int = 192) -> np.ndarray:
    """Sharp-edged running-bond bricks: the kind of structure bicubic blurs."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    row = (y // 24).astype(int)
    shifted = x + (row % 2) * 24
    mortar = ((y % 24) < 3) | ((shifted % 48) < 3)
    tone = np.random.default_rng(1).uniform(0.4, 0.8, (size // 24 + 1, size // 48 + 3))
    image = np.where(mortar, 0.9, tone[row, (shifted // 48).astype(int)])[..., None] * np.array([1.0, 0.55, 0.4])
    return (image * 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


@pytest.mark.parametrize("scale,model,min_gain_db", [(2, "fast-x2", 2.0), (4, "fast-x4", 0.3)])
def test_default_model_is_the_shipped_network_and_beats_bicubic(diagnostic_server, scale: int, model: str,
                                                                 min_gain_db: float) -> None:
    high = bricks()
    low = np.asarray(Image.fromarray(high).resize((192 // scale, 192 // scale), Image.BICUBIC))
    with Client(diagnostic_server.address, timeout=60) as client:
        reply = client.call("upscale", {"scale": scale}, [NamedImage("image", low)])
        baseline = client.upscale(low, scale=scale, model="bicubic")
    assert reply.body["data"]["model"] == model
    upscaled = reply.image("image").array
    assert upscaled.shape == high.shape
    inner = np.s_[8:-8, 8:-8]
    assert psnr(upscaled[inner], high[inner]) >= psnr(baseline[inner], high[inner]) + min_gain_db


def test_cli_upscales_with_a_shipped_model(diagnostic_server, tmp_path) -> None:
    write_image(tmp_path / "bricks.png", bricks(96))
    result = texforge("upscale", str(tmp_path / "bricks.png"), str(tmp_path / "big.png"), "--scale", "4",
                      "--model", "fast-x4", server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    assert read_image(tmp_path / "big.png").shape == (384, 384, 3)
