"""The `texforge` command line against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from texforge.protocol.exif import EXIF_IFD_POINTER, FOCAL_LENGTH_IN_35MM, fov_from_35mm_focal_length
from texforge.server.imageio import read_image, write_image

from ..conftest import free_tcp_port


def texforge(*args: str, server: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if server:
        env["TEXFORGE_SERVER"] = server
    return subprocess.run([sys.executable, "-m", "texforge.server.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_ping_and_models(diagnostic_server) -> None:
    assert "pong" in texforge("ping", server=diagnostic_server.address).stdout
    listing = texforge("models", server=diagnostic_server.address).stdout
    assert "bicubic" in listing and "upscale" in listing


@pytest.mark.parametrize("dtype,suffix", [(np.uint8, ".png"), (np.uint16, ".png"), (np.float32, ".tif")])
def test_upscale_file_round_trip_keeps_bit_depth(diagnostic_server, tmp_path: Path, dtype: type, suffix: str) -> None:
    image = np.linspace(0, 1, 20 * 30 * 4, dtype=np.float32).reshape(20, 30, 4)
    if dtype != np.float32:
        image = image * np.iinfo(dtype).max
    source, target = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    write_image(source, image.astype(dtype))
    result = texforge("upscale", str(source), str(target), "--scale", "2", "--model", "bicubic",
                      server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    upscaled = read_image(target)
    assert upscaled.shape == (40, 60, 4) and upscaled.dtype == dtype


def test_no_server_is_one_clear_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8))
    result = texforge("upscale", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--timeout", "1",
                      server=f"tcp://127.0.0.1:{free_tcp_port()}")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "no server at" in result.stderr and "texforge serve" in result.stderr


def test_bad_inputs_fail_before_contacting_the_server(tmp_path: Path) -> None:
    missing = texforge("upscale", str(tmp_path / "missing.png"), str(tmp_path / "out.png"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    write_image(tmp_path / "f.tif", np.zeros((4, 4, 3), np.float32))
    lossy = texforge("upscale", str(tmp_path / "f.tif"), str(tmp_path / "out.png"))
    assert lossy.returncode == 1 and "use .tif" in lossy.stderr


def flash_photo(size: int = 48) -> np.ndarray:
    """A bright centre falling off to the corners over a brick-like pattern, as a flash photo looks."""
    yy, xx = np.mgrid[:size, :size] / size
    falloff = 1.0 / (1.0 + 3.0 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2))
    bricks = 0.6 + 0.3 * ((np.floor(yy * 6) + np.floor(xx * 3 + 0.5 * (np.floor(yy * 6) % 2))) % 2)
    rgb = falloff[..., None] * bricks[..., None] * np.array([0.9, 0.6, 0.45])
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("model", ["material-1shot", "heuristic"])
def test_material_writes_all_five_maps_and_a_description(diagnostic_server, tmp_path: Path, model: str) -> None:
    write_image(tmp_path / "flash.png", flash_photo())
    result = texforge("material", str(tmp_path / "flash.png"), "-o", str(tmp_path / "out"), "--size", "40",
                      "--model", model, server=diagnostic_server.address, timeout=120)
    assert result.returncode == 0, result.stderr
    maps = {name: read_image(tmp_path / "out" / f"{name}.png")
            for name in ("albedo", "specular", "normal", "glossiness", "roughness")}
    assert maps["albedo"].shape == (40, 40, 3) and maps["albedo"].dtype == np.uint8
    assert maps["specular"].shape == (40, 40, 3) and maps["specular"].dtype == np.uint8
    assert maps["normal"].shape == (40, 40, 3) and maps["normal"].dtype == np.uint16
    assert maps["roughness"].shape[:2] == (40, 40) and maps["roughness"].dtype == np.uint16
    total = maps["roughness"].astype(int) + maps["glossiness"].astype(int)
    assert np.abs(total - 65535).max() <= 1
    normals = maps["normal"].astype(np.float64) / 65535 * 2 - 1
    np.testing.assert_allclose(np.linalg.norm(normals, axis=2), 1.0, atol=0.01)
    document = json.loads((tmp_path / "out" / "material.json").read_text())
    assert document["model"] == model and "OpenGL" in document["conventions"]["normal"]
    assert document["round_trip_seconds"] > 0
    assert document["fov_degrees"] == 60.0  # the model's calibrated capture, as no --fov was given


def test_material_guide_aligned_skips_alignment_end_to_end(diagnostic_server, tmp_path: Path) -> None:
    write_image(tmp_path / "flash.png", flash_photo())
    # a guide that shows another surface (diagonal stripes, not bricks): alignment must refuse it ...
    yy, xx = np.mgrid[:48, :48]
    stripes = np.repeat((127 + 120 * np.sign(np.sin((xx + yy) / 2.0)))[..., None], 3, axis=2).astype(np.uint8)
    write_image(tmp_path / "guide.png", stripes)
    common = ("material", str(tmp_path / "flash.png"), "--guide", str(tmp_path / "guide.png"),
              "--size", "40", "--model", "material-2shot")
    refused = texforge(*common, "-o", str(tmp_path / "refused"), server=diagnostic_server.address, timeout=120)
    assert refused.returncode != 0 and "--guide-aligned" in refused.stderr  # the CLI flag, not the protocol field
    # ... while a guide declared aligned is used as it is
    taken = texforge(*common, "--guide-aligned", "-o", str(tmp_path / "taken"), server=diagnostic_server.address,
                     timeout=120)
    assert taken.returncode == 0, taken.stderr
    assert read_image(tmp_path / "taken" / "albedo.png").shape == (40, 40, 3)


def heuristic_material(server, tmp_path: Path, outdir: str, *options: str):  # noqa: ANN001, ANN201
    """`texforge material` with the heuristic model on tmp_path/flash.png into tmp_path/outdir."""
    return texforge("material", str(tmp_path / "flash.png"), "-o", str(tmp_path / outdir), "--size", "40",
                    "--model", "heuristic", *options, server=server.address)


def test_material_field_of_view_reaches_the_server_and_the_description(diagnostic_server, tmp_path: Path) -> None:
    write_image(tmp_path / "flash.png", flash_photo())
    albedo = {}
    for fov in ("25", "60"):
        result = heuristic_material(diagnostic_server, tmp_path, fov, "--fov", fov)
        assert result.returncode == 0, result.stderr
        assert json.loads((tmp_path / fov / "material.json").read_text())["fov_degrees"] == float(fov)
        albedo[fov] = read_image(tmp_path / fov / "albedo.png").astype(int)
    assert np.abs(albedo["25"] - albedo["60"]).max() > 2  # the heuristic divides out another falloff
    bad = heuristic_material(diagnostic_server, tmp_path, "bad", "--fov", "200")
    assert bad.returncode != 0 and "fov_degrees" in bad.stderr


def test_material_takes_the_field_of_view_from_exif_unless_told(diagnostic_server, tmp_path: Path) -> None:
    photo = flash_photo()
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD_POINTER)[FOCAL_LENGTH_IN_35MM] = 26  # a phone's main camera
    Image.fromarray(photo).save(tmp_path / "flash.png", exif=exif.tobytes())
    recorded = heuristic_material(diagnostic_server, tmp_path, "exif")
    assert recorded.returncode == 0 and "EXIF" in recorded.stderr, recorded.stderr
    expected = fov_from_35mm_focal_length(26, photo.shape[1], photo.shape[0])
    assert json.loads((tmp_path / "exif" / "material.json").read_text())["fov_degrees"] == pytest.approx(expected)
    told = heuristic_material(diagnostic_server, tmp_path, "told", "--fov", "25")
    assert told.returncode == 0 and json.loads((tmp_path / "told" / "material.json").read_text())["fov_degrees"] == 25


def test_an_iphone_heic_photo_is_read_upright_with_its_recorded_field_of_view(diagnostic_server, tmp_path: Path) -> None:
    photo = flash_photo()
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD_POINTER)[FOCAL_LENGTH_IN_35MM] = 26
    Image.fromarray(photo).save(tmp_path / "IMG_0042.HEIC", format="HEIF", quality=95, exif=exif.tobytes())
    result = texforge("material", str(tmp_path / "IMG_0042.HEIC"), "-o", str(tmp_path / "heic"), "--size", "40",
                      "--model", "heuristic", server=diagnostic_server.address)
    assert result.returncode == 0 and "EXIF" in result.stderr, result.stderr
    expected = fov_from_35mm_focal_length(26, photo.shape[1], photo.shape[0])
    assert json.loads((tmp_path / "heic" / "material.json").read_text())["fov_degrees"] == pytest.approx(expected)


def test_material_reads_float_photos_as_linear_light(diagnostic_server, tmp_path: Path) -> None:
    encoded = flash_photo().astype(np.float32) / 255
    write_image(tmp_path / "flash.png", flash_photo())
    write_image(tmp_path / "flash.exr", encoded ** 2.2)  # the same photo as linear light, as an EXR stores it
    as_png = heuristic_material(diagnostic_server, tmp_path, "png")
    as_exr = texforge("material", str(tmp_path / "flash.exr"), "-o", str(tmp_path / "exr"), "--size", "40",
                      "--model", "heuristic", server=diagnostic_server.address)
    assert as_png.returncode == 0 and as_exr.returncode == 0, as_exr.stderr
    assert "linear light" in as_exr.stderr
    png_albedo, exr_albedo = (read_image(tmp_path / d / "albedo.png").astype(int) for d in ("png", "exr"))
    assert np.abs(png_albedo - exr_albedo).max() <= 2
    # the same linear values in an 8-bit PNG are display-encoded unless told otherwise
    write_image(tmp_path / "flash.png", (np.clip(encoded ** 2.2, 0, 1) * 255).round().astype(np.uint8))
    dark = heuristic_material(diagnostic_server, tmp_path, "dark")
    told = heuristic_material(diagnostic_server, tmp_path, "told", "--linear-photo")
    assert dark.returncode == 0 and told.returncode == 0, told.stderr
    dark_albedo, told_albedo = (read_image(tmp_path / d / "albedo.png").astype(int) for d in ("dark", "told"))
    assert dark_albedo.mean() < png_albedo.mean() - 20
    assert abs(told_albedo.mean() - png_albedo.mean()) < 3


def test_material_directx_normals_flip_green_only(diagnostic_server, tmp_path: Path) -> None:
    write_image(tmp_path / "flash.png", flash_photo())
    outputs = {}
    for convention in ("opengl", "directx"):
        result = heuristic_material(diagnostic_server, tmp_path, convention, "--normal-convention", convention)
        assert result.returncode == 0, result.stderr
        outputs[convention] = read_image(tmp_path / convention / "normal.png").astype(int)
    opengl, directx = outputs["opengl"], outputs["directx"]
    assert np.array_equal(directx[..., 0], opengl[..., 0]) and np.array_equal(directx[..., 2], opengl[..., 2])
    assert np.abs(directx[..., 1] - (65535 - opengl[..., 1])).max() <= 1
    assert np.abs(opengl[..., 1] - 32768).max() > 500  # the photo has relief: the flip is visible
    document = json.loads((tmp_path / "directx" / "material.json").read_text())
    assert "DirectX" in document["conventions"]["normal"]
