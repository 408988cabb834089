"""The shipped fast models are the CPU defaults and beat bicubic, through a real server and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from texforge.protocol import Client, NamedImage
from texforge.server.imageio import read_image, write_image
from texforge.server.sr.metrics import block_edge_strength, brick_wall, psnr_rgb

from .test_cli import texforge


@pytest.mark.parametrize("scale,model,min_gain_db", [(2, "fast-x2", 2.0), (4, "fast-x4", 0.3)])
def test_default_model_is_the_shipped_network_and_beats_bicubic(diagnostic_server, scale: int, model: str,
                                                                 min_gain_db: float) -> None:
    high = brick_wall()
    low = np.asarray(Image.fromarray(high).resize((192 // scale, 192 // scale), Image.BICUBIC))
    with Client(diagnostic_server.address, timeout=60) as client:
        reply = client.call("upscale", {"scale": scale}, [NamedImage("image", low)])
        baseline = client.upscale(low, scale=scale, model="bicubic")
    assert reply.body["data"]["model"] == model
    upscaled = reply.image("image").array
    assert upscaled.shape == high.shape
    assert psnr_rgb(upscaled, high, shave=8) >= psnr_rgb(baseline, high, shave=8) + min_gain_db


def test_cli_upscales_with_a_shipped_model(diagnostic_server, tmp_path) -> None:
    write_image(tmp_path / "bricks.png", brick_wall(96))
    result = texforge("upscale", str(tmp_path / "bricks.png"), str(tmp_path / "big.png"), "--scale", "4",
                      "--model", "fast-x4", server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    assert read_image(tmp_path / "big.png").shape == (384, 384, 3)


@pytest.mark.parametrize("scale,model", [(2, "fast-x2"), (4, "fast-x4")])
def test_jpeg_sources_get_the_shipped_jpeg_partner_and_come_back_with_fewer_block_edges(diagnostic_server, tmp_path,
                                                                                         scale: int, model: str) -> None:
    """`<model>-jpeg` takes `<model>`'s place for `.jpg` inputs: the 8x8 grid is removed, not sharpened."""
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:128, 0:128].astype(np.float32)
    smooth = 0.5 + 0.3 * np.sin(x / 9.0)[..., None] * np.cos(y / 13.0)[..., None] * np.array([1.0, 0.8, 0.6])
    photo = np.clip(smooth + 0.02 * rng.standard_normal((128, 128, 3)), 0, 1)
    Image.fromarray((photo * 255).astype(np.uint8)).save(tmp_path / "wall.jpg", quality=60, subsampling="4:2:0")
    decoded = read_image(tmp_path / "wall.jpg")
    with Client(diagnostic_server.address, timeout=60) as client:
        assert next(m for m in client.models()["models"] if m["name"] == model)["jpeg_robust"] is True
        as_jpeg = client.upscale(decoded, scale=scale, jpeg_source=True)
        as_png = client.upscale(decoded, scale=scale)
        bicubic = client.upscale(decoded, scale=scale, model="bicubic")
    result = texforge("upscale", str(tmp_path / "wall.jpg"), str(tmp_path / "big.png"), "--scale", str(scale),
                      server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(read_image(tmp_path / "big.png"), as_jpeg)  # the CLI says jpeg_source
    blocks = {name: block_edge_strength(image, 8 * scale) for name, image in
              (("jpeg", as_jpeg), ("png", as_png), ("bicubic", bicubic))}
    # measured at x4: jpeg 1.47, png 2.20 (the default weights sharpen the grid), bicubic 1.43
    assert blocks["jpeg"] < 0.8 * blocks["png"] and blocks["jpeg"] < 1.1 * blocks["bicubic"], blocks
