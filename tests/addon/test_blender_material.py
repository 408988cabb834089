"""Create material from photos in real Blender (bpy 5.0.1, headless), installed from the built zip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from texforge.protocol.exif import fov_from_35mm_focal_length

from .conftest import requires_bpy, run_blender_script, scenario

pytestmark = requires_bpy

EXPECTED_LINKS = [
    ["Albedo", "Color", "Principled BSDF", "Base Color"],
    ["Normal", "Color", "Normal Map", "Color"],
    ["Normal Map", "Normal", "Principled BSDF", "Normal"],
    ["Principled BSDF", "BSDF", "Material Output", "Surface"],
    ["Roughness", "Color", "Principled BSDF", "Roughness"],
    ["Specular Level", "Color", "Principled BSDF", "Specular IOR Level"],
    ["Specular Tint", "Color", "Principled BSDF", "Specular Tint"],
    ["Texture Coordinate", "UV", "Mapping", "Vector"],
]
EXPECTED_COLORSPACES = {"Albedo": "sRGB", "Specular Level": "Non-Color", "Specular Tint": "sRGB",
                        "Roughness": "Non-Color", "Normal": "Non-Color"}


@pytest.fixture(scope="module")
def outcome(extension_zip: Path, diagnostic_server: Any, module_tmp: Path) -> dict[str, Any]:
    """Every scenario of blender_scripts/material_scenarios.py, run in one Blender process."""
    return run_blender_script("material_scenarios.py", module_tmp, zip=str(extension_zip),
                              server=diagnostic_server.address)


def assert_wired_material(facts: dict[str, Any]) -> None:
    for link in EXPECTED_LINKS:
        assert link in facts["links"], link
    image_links = [link for link in facts["links"] if link[0] == "Mapping"]
    assert len(image_links) == 5  # every image node reads the shared Mapping output
    assert facts["colorspaces"] == EXPECTED_COLORSPACES
    assert facts["nodes"]["Normal Map"] == "ShaderNodeNormalMap"
    assert facts["nodes"]["Albedo"] == "ShaderNodeTexImage"
    assert facts["nodes"]["Texture Coordinate"] == "ShaderNodeTexCoord"
    assert facts["assigned"]


def test_maps_become_a_wired_principled_material(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "maps_to_material")
    assert_wired_material(facts)
    assert facts["packed"]  # the .blend is not saved: images live inside it
    assert facts["ior"] == pytest.approx(1.5, abs=0.01)  # a dielectric's F0 of 0.04
    assert facts["mean_specular_level"] == pytest.approx(0.5, abs=0.03)
    assert facts["message"] == "created material generated, assigned to Sphere"


def test_material_from_a_flash_photo_end_to_end(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "from_photo")
    if "skipped" in facts:
        pytest.skip(f"{facts['skipped']} (`texforge models` lists no kind 'material' yet)")
    assert facts["name"] == "oak_flash"
    assert_wired_material(facts)
    assert not facts["photo_left_behind"]
    # both flash-photo fields tell how to shoot one, in the README's words
    for tooltip in facts["flash_tooltips"]:
        assert "flash" in tooltip and "parallel" in tooltip and "tripod" in tooltip


def test_the_field_of_view_comes_from_the_photos_exif_unless_told(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "from_exif_photo")
    if "skipped" in facts:
        pytest.skip(facts["skipped"])
    # a phone's 26 mm-equivalent main camera across a square photo; the created material records it
    expected = fov_from_35mm_focal_length(26, 64, 64)
    assert facts["recorded"] == pytest.approx(expected, abs=1e-4)
    assert facts["from_image"] == pytest.approx(expected, abs=1e-4)  # the image node's file, read the same way
    assert facts["told"] == pytest.approx(25.0)  # a field of view the user gives wins


def test_a_portrait_phone_photo_comes_out_upright(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "portrait_photo")
    if "skipped" in facts:
        pytest.skip(facts["skipped"])
    # stored 48 x 32 with EXIF Orientation 6: the maps are 32 wide, 48 high, the dark half on top
    assert facts["size"] == [32, 48]
    assert facts["top_mean"] < 0.6 * facts["bottom_mean"]
    # the recorded lens is across the upright photo's width
    assert facts["recorded"] == pytest.approx(fov_from_35mm_focal_length(26, 32, 48), abs=1e-4)


def test_a_float_photo_travels_as_linear_light(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "float_photo")
    if "skipped" in facts:
        pytest.skip(facts["skipped"])
    # an EXR is linear light: sent as float32 with linear_photo, as the CLI sends it, not re-encoded
    assert facts["dtype"] == "float32" and facts["linear_photo"] is True
    assert facts["largest_error"] < 1e-3 and facts["brightest"] > 1.0  # EXR storage rounds a little
    assert facts["created"]


def test_a_heic_photo_is_refused_in_one_line_naming_the_way_out(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "heic_photo")
    assert "HEIC" in facts["error"] and "JPEG" in facts["error"] and "texforge material" in facts["error"]
    assert "\n" not in facts["error"].strip()
    assert facts["unchanged"]


def test_guide_declared_aligned_skips_the_alignment_check(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "guide_aligned")
    if "skipped" in facts:
        pytest.skip(facts["skipped"])
    assert facts["refused"] and "guide_aligned" in facts["refused"]  # stripes are not the flash photo's surface
    assert not facts["created_when_refused"]
    assert facts["created"]  # declared aligned (tripod), the same pair is used as it is


def test_material_from_an_image_node(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "from_image")
    if "skipped" in facts:
        pytest.skip(f"{facts['skipped']} (`texforge models` lists no kind 'material' yet)")
    assert facts["name"] == "slate_photo"
    assert_wired_material(facts)


def test_dead_server_gives_clear_error_and_creates_nothing(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "server_down")
    assert "no texforge server answers" in facts["error"]
    assert facts["unchanged"]


def test_missing_photo_is_reported(outcome: dict[str, Any]) -> None:
    assert "no photo at /nonexistent/flash.jpg" in scenario(outcome, "missing_photo")["error"]
