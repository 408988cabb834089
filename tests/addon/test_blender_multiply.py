"""Texture Multiplier in real Blender (bpy 5.0.1, headless), installed from the built zip, against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import requires_bpy, run_blender_script, scenario

pytestmark = requires_bpy


@pytest.fixture(scope="module")
def outcome(extension_zip: Path, diagnostic_server: Any, module_tmp: Path) -> dict[str, Any]:
    """Every scenario of blender_scripts/multiply_scenarios.py, run in one Blender process."""
    return run_blender_script("multiply_scenarios.py", module_tmp, zip=str(extension_zip),
                              server=diagnostic_server.address)


def test_image_variations_are_new_images_of_the_asked_size_copying_source_pixels(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "image_variations")
    assert facts["size"] == [48, 40] and facts["colorspace"] == "sRGB" and facts["packed"]
    assert facts["copied"] and facts["different"]


def test_material_variations_are_copies_wired_to_aligned_images(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "material_variations")
    assert facts["shown"] == [["stone_albedo_var1", "stone_rough_var1"], ["stone_albedo_var2", "stone_rough_var2"]]
    assert facts["aligned_error"] < 1 / 255 + 1e-6  # roughness still equals the albedo's red, pixel for pixel
    assert facts["rough_colorspace"] == "Non-Color"
    assert facts["original_kept"] == ["stone_albedo.png", "stone_rough.png"]


def test_make_seamless_replaces_the_image_with_a_tileable_one(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "seamless")
    assert facts["size"] == [40, 32] and facts["node_image"] == "ramp_seamless"
    assert facts["wrap_step"] < facts["source_wrap_step"] / 4


def test_variations_run_in_the_background(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "background")
    assert facts["jobs"] == 1 and facts["states"] == ["succeeded"] and facts["created"]


def test_a_material_without_base_colour_is_refused_with_a_reason(outcome: dict[str, Any]) -> None:
    assert "no image in Base Color" in scenario(outcome, "bad_material")["error"]


def test_cancel_stops_the_variations_and_creates_nothing(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "cancel")
    assert facts["states"] == ["cancelled"]
    assert facts["seconds_after_cancel"] < 10  # 8 variations of 1536 x 1536 take minutes
    assert facts["images_unchanged"]
