"""`texforge multiply` and `texforge seamless` against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from texforge.server.imageio import read_image, write_image

from ..server.multiply.conftest import procedural_material, ramp
from .test_cli import texforge


def write_material(folder: Path) -> dict[str, Path]:
    """albedo.png (RGBA 8-bit), height.png (16-bit gray) and roughness.tif (float32) of one procedural material."""
    material = procedural_material((40, 40), seed=4)
    alpha = np.full((40, 40, 1), 200, np.uint8)
    paths = {"albedo": folder / "albedo.png", "height": folder / "height.png", "roughness": folder / "roughness.tif"}
    write_image(paths["albedo"], np.concatenate([material["albedo"], alpha], axis=-1))
    write_image(paths["height"], material["height"])
    write_image(paths["roughness"], material["roughness"])
    return paths


def test_multiply_writes_aligned_variations_of_every_map_and_a_description(diagnostic_server, tmp_path: Path) -> None:
    paths = write_material(tmp_path)
    out = tmp_path / "out"
    result = texforge("multiply", str(paths["albedo"]), "-o", str(out), "--count", "2", "--size", "64x48", "--tileable",
                      "--seed", "11", "--map", f"height={paths['height']}", "--map", f"roughness={paths['roughness']}",
                      server=diagnostic_server.address, timeout=120)
    assert result.returncode == 0, result.stderr
    description = json.loads((out / "multiply.json").read_text())
    assert description["seeds"] == [11, 12] and description["arguments"]["size"] == [64, 48]
    assert description["files"] == ["variation_1.png", "variation_1_height.png", "variation_1_roughness.tif",
                                    "variation_2.png", "variation_2_height.png", "variation_2_roughness.tif"]
    for index in (1, 2):
        albedo = read_image(out / f"variation_{index}.png")
        height = read_image(out / f"variation_{index}_height.png")
        roughness = read_image(out / f"variation_{index}_roughness.tif")
        assert albedo.shape == (48, 64, 4) and (albedo[..., 3] == 200).all()
        assert height.dtype == np.uint16 and roughness.dtype == np.float32
        exact = height[..., 0] / 65535.0
        assert np.abs(albedo[..., :3].astype(float) - np.round(ramp(exact) * 255)).max() <= 1
        assert np.allclose(roughness[..., 0], 1 - exact, atol=1e-6)


def test_seamless_writes_the_photo_and_its_maps_beside_each_other(diagnostic_server, tmp_path: Path) -> None:
    paths = write_material(tmp_path)
    target = tmp_path / "tiled.png"
    result = texforge("seamless", str(paths["albedo"]), str(target), "--border", "0.3",
                      "--map", f"height={paths['height']}", server=diagnostic_server.address, timeout=120)
    assert result.returncode == 0, result.stderr
    assert read_image(target).shape == (40, 40, 4)
    assert read_image(tmp_path / "tiled_height.png").dtype == np.uint16


def test_bad_multiply_input_is_one_line(diagnostic_server, tmp_path: Path) -> None:
    paths = write_material(tmp_path)
    unknown = texforge("multiply", str(paths["albedo"]), "-o", str(tmp_path / "o"), "--map", "bump=x.png")
    assert unknown.returncode == 1 and "'bump' is not a known map" in unknown.stderr
    write_image(tmp_path / "small.png", np.zeros((8, 8, 1), np.uint16))
    mismatch = texforge("multiply", str(paths["albedo"]), "-o", str(tmp_path / "o"), "--map",
                        f"height={tmp_path / 'small.png'}", server=diagnostic_server.address)
    assert mismatch.returncode == 1 and "is not the size of" in mismatch.stderr
    huge = texforge("multiply", str(paths["albedo"]), "-o", str(tmp_path / "o"), "--size", "8192x8192",
                    "--count", "5", server=diagnostic_server.address)
    assert huge.returncode == 1 and "too_large" in huge.stderr
    for failed in (unknown, mismatch, huge):
        assert failed.stderr.strip().count("\n") == 0, failed.stderr
