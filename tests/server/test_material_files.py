"""Material folders: PNG or EXR maps plus material.json, replaced only when every file is complete."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from texforge.server.imageio import read_image
from texforge.server.material_files import map_file_name, write_material

MAPS = ("albedo", "specular", "normal", "glossiness", "roughness")


def material_maps(rng: np.random.Generator, size: int = 6) -> dict[str, np.ndarray]:
    """Float32 maps in [0, 1] as the server returns them."""
    channels = {"albedo": 3, "specular": 3, "normal": 3, "glossiness": 1, "roughness": 1}
    return {name: rng.random((size, size, count)).astype(np.float32) for name, count in channels.items()}


def test_png_maps_and_a_description_listing_them(tmp_path: Path, rng: np.random.Generator) -> None:
    written = write_material(tmp_path, material_maps(rng), {"model": "m"})
    assert written == [tmp_path / f"{name}.png" for name in MAPS] + [tmp_path / "material.json"]
    assert read_image(tmp_path / "albedo.png").dtype == np.uint8 and read_image(tmp_path / "normal.png").dtype == np.uint16
    document = json.loads((tmp_path / "material.json").read_text())
    assert document["maps"] == {name: f"{name}.png" for name in MAPS}
    assert document["conventions"]["albedo"].endswith("8-bit") and document["conventions"]["roughness"].endswith("16-bit")


def test_exr_maps_are_float32_with_the_values_the_server_returned(tmp_path: Path, rng: np.random.Generator) -> None:
    maps = material_maps(rng)
    written = write_material(tmp_path, maps, {"model": "m"}, normal_convention="directx", file_format="exr")
    assert written == [tmp_path / f"{name}.exr" for name in MAPS] + [tmp_path / "material.json"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)  # no PNG too
    for name in ("albedo", "roughness"):
        stored = read_image(tmp_path / f"{name}.exr")
        assert stored.dtype == np.float32
        np.testing.assert_array_equal(stored, maps[name])  # colour maps: sRGB-encoded values, as returned
    normal = read_image(tmp_path / "normal.exr")
    np.testing.assert_array_equal(normal[..., 1], 1 - maps["normal"][..., 1])  # DirectX: green flipped
    document = json.loads((tmp_path / "material.json").read_text())
    assert document["maps"] == {name: f"{name}.exr" for name in MAPS}
    assert "sRGB-encoded" in document["conventions"]["albedo"] and "not linear" in document["conventions"]["albedo"]
    assert "DirectX" in document["conventions"]["normal"] and "float32 EXR" in document["conventions"]["normal"]


def test_one_naming_rule_for_map_files() -> None:
    assert map_file_name("albedo") == "albedo.png" and map_file_name("normal", "exr") == "normal.exr"
    with pytest.raises(ValueError, match="jpg"):
        map_file_name("albedo", "jpg")


def test_an_existing_folder_keeps_other_files_and_gets_new_maps(tmp_path: Path, rng: np.random.Generator) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    write_material(tmp_path, material_maps(rng), {"model": "old"})
    old_albedo = (tmp_path / "albedo.png").read_bytes()
    write_material(tmp_path, material_maps(rng), {"model": "new"})
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "albedo.png").read_bytes() != old_albedo
    assert json.loads((tmp_path / "material.json").read_text())["model"] == "new"


def test_a_write_failing_midway_changes_nothing_in_the_folder(tmp_path: Path, rng: np.random.Generator,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    write_material(tmp_path, material_maps(rng), {"model": "old"})
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    encode = cv2.imencode
    calls = []

    def fail_on_the_third_map(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return encode(*args, **kwargs)

    monkeypatch.setattr(cv2, "imencode", fail_on_the_third_map)
    with pytest.raises(OSError, match="No space"):
        write_material(tmp_path, material_maps(rng), {"model": "new"})
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before  # no map replaced, no partial file
