"""The `texforge` command line's files: EXR in and out, hostile or broken inputs refused in one line,
outputs replaced only by complete files."""

from __future__ import annotations

import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from texforge.server.imageio import read_image, write_image

from .test_cli import flash_photo, texforge

MAPS = ("albedo", "specular", "normal", "glossiness", "roughness")


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    return lines[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_upscale_exr_keeps_its_float_type_alpha_and_values_above_one(diagnostic_server, tmp_path: Path, dtype: type) -> None:
    image = np.zeros((16, 20, 4), dtype)
    image[..., 0] = np.linspace(0.0, 6.0, 20)  # HDR red ramp
    image[..., 1] = 0.25
    image[..., 3] = 0.5
    write_image(tmp_path / "in.exr", image)
    result = texforge("upscale", str(tmp_path / "in.exr"), str(tmp_path / "out.exr"), "--scale", "2", "--model", "bicubic",
                      server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    upscaled = read_image(tmp_path / "out.exr")
    assert upscaled.dtype == dtype and upscaled.shape == (32, 40, 4)
    assert upscaled[..., 0].max() > 5.0  # not clipped to 1
    np.testing.assert_allclose(upscaled[..., 3], 0.5, atol=1e-3)


def test_material_exr_writes_float32_maps_and_lists_them(diagnostic_server, tmp_path: Path) -> None:
    write_image(tmp_path / "flash.jpg", flash_photo())
    result = texforge("material", str(tmp_path / "flash.jpg"), "-o", str(tmp_path / "out"), "--size", "40",
                      "--model", "heuristic", "--format", "exr", server=diagnostic_server.address, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted([f"{name}.exr" for name in MAPS] + ["material.json"])
    albedo = read_image(tmp_path / "out" / "albedo.exr")
    assert albedo.dtype == np.float32 and albedo.shape == (40, 40, 3) and 0 <= albedo.min() and albedo.max() <= 1
    document = json.loads((tmp_path / "out" / "material.json").read_text())
    assert document["maps"] == {name: f"{name}.exr" for name in MAPS}
    assert "sRGB-encoded" in document["conventions"]["albedo"] and "EXR" in document["conventions"]["albedo"]
    assert str(tmp_path / "out" / "normal.exr") in result.stderr  # the log line names the files written


def test_material_into_an_existing_folder_keeps_other_files(diagnostic_server, tmp_path: Path) -> None:
    write_image(tmp_path / "flash.png", flash_photo())
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "notes.txt").write_text("mine")
    (outdir / "albedo.png").write_bytes(b"an old albedo")
    result = texforge("material", str(tmp_path / "flash.png"), "-o", str(outdir), "--size", "40", "--model", "heuristic",
                      server=diagnostic_server.address, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (outdir / "notes.txt").read_text() == "mine"
    assert read_image(outdir / "albedo.png").shape == (40, 40, 3)
    assert not [path for path in outdir.iterdir() if path.name.startswith(".")]  # no partial files left


def test_a_failed_upscale_leaves_the_existing_output_untouched(diagnostic_server, tmp_path: Path) -> None:
    write_image(tmp_path / "in.png", np.zeros((8, 8, 3), np.uint8))
    write_image(tmp_path / "out.png", np.full((4, 4, 3), 200, np.uint8))
    before = (tmp_path / "out.png").read_bytes()
    result = texforge("upscale", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--model", "nope",
                      server=diagnostic_server.address)
    assert result.returncode == 1 and "unknown_model" in one_line(result.stderr)
    assert (tmp_path / "out.png").read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.png", "out.png"]


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_hostile_header_is_refused_in_one_line_with_the_pixel_limit(diagnostic_server, tmp_path: Path) -> None:
    (tmp_path / "huge.png").write_bytes(png_claiming(100_000, 100_000))
    limit = json.loads(texforge("hello", server=diagnostic_server.address).stdout)["limits"]["max_pixels"]
    started = time.perf_counter()
    result = texforge("upscale", str(tmp_path / "huge.png"), str(tmp_path / "out.png"), "--model", "bicubic",
                      server=diagnostic_server.address)
    seconds = time.perf_counter() - started
    line = one_line(result.stderr)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "100000x100000" in line and f"pixel limit of {limit:,}" in line
    assert seconds < 10, f"{seconds:.1f} s, of which the CLI's start is most"  # the read itself: tests/server/test_imageio.py
    assert not (tmp_path / "out.png").exists()


def test_a_truncated_or_corrupt_png_is_one_line_without_libpng_noise(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    write_image(tmp_path / "whole.png", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8, endpoint=True))
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF  # a flipped byte inside the image data
    (tmp_path / "damaged.png").write_bytes(bytes(damaged))
    for name in ("cut.png", "damaged.png"):
        result = texforge("upscale", str(tmp_path / name), str(tmp_path / "out.png"))
        line = one_line(result.stderr)
        assert result.returncode == 1 and "libpng" not in result.stderr and "truncated or corrupt" in line, result.stderr


class LimitsOnlyClient:
    """Stands in for `Client`: answers `server_info` with a pixel limit and counts the questions."""

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self.asked = 0

    def server_info(self) -> dict:
        self.asked += 1
        return {"limits": {"max_pixels": self.max_pixels}}


def test_inputs_are_read_under_the_servers_advertised_limit(tmp_path: Path) -> None:
    from texforge.server.cli import _read_input
    from texforge.server.imageio import ImageFormatError

    write_image(tmp_path / "small.png", np.zeros((8, 8, 3), np.uint8))
    ordinary = LimitsOnlyClient(max_pixels=10)
    assert _read_input(str(tmp_path / "small.png"), ordinary).shape == (8, 8, 3)
    assert ordinary.asked == 0  # within the default limit: no question to the server, so bad input fails first
    (tmp_path / "huge.png").write_bytes(png_claiming(100_000, 100_000))
    generous = LimitsOnlyClient(max_pixels=10**12)
    with pytest.raises(ImageFormatError) as refused:
        _read_input(str(tmp_path / "huge.png"), generous)
    assert generous.asked == 1 and "pixel limit" not in str(refused.value)  # past the size check: the decoder refused
