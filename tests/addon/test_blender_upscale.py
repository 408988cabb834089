"""Upscale texture in real Blender (bpy 5.0.1, headless), installed from the built zip, against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import requires_bpy, run_blender_script, scenario

pytestmark = requires_bpy


@pytest.fixture(scope="module")
def outcome(extension_zip: Path, diagnostic_server: Any, module_tmp: Path) -> dict[str, Any]:
    """Every scenario of blender_scripts/upscale_scenarios.py, run in one Blender process."""
    return run_blender_script("upscale_scenarios.py", module_tmp, zip=str(extension_zip),
                              server=diagnostic_server.address)


def test_bundled_wheels_are_installed_with_the_extension(outcome: dict[str, Any]) -> None:
    entries = scenario(outcome, "wheels")["entries"]
    assert "zmq" in entries and "msgpack" in entries


def test_environment_variable_overrides_the_preference(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "env_override")
    assert facts["overridden"] == "tcp://127.0.0.1:1"
    assert facts["preference"].startswith("tcp://127.0.0.1:")


def test_test_connection_reports_server_and_models(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "connection")
    assert facts["state"] == "Connected"
    assert "cpu" in facts["detail"]
    assert ["bicubic", "upscale"] in facts["models"]


def test_srgb_image_is_upscaled_packed_and_swapped_into_materials(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "srgb_byte")
    assert facts["size"] == [32, 16]
    assert facts["colorspace"] == "sRGB" and not facts["is_float"]
    assert facts["packed"] and facts["original_kept"]
    assert facts["node_image"] == "bricks_x2"
    assert facts["top_left"] == pytest.approx([1, 0, 0, 1], abs=0.02)  # rows were not flipped
    assert facts["bottom_left"] == pytest.approx([0, 0, 1, 1], abs=0.02)


def test_image_feeding_a_normal_map_node_is_upscaled_as_normal_map(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "normal_map")
    assert facts["role"] == "normal"
    assert facts["colorspace"] == "Non-Color"
    assert facts["size"] == [16, 16]
    assert facts["centre"] == pytest.approx([0.5, 0.5, 1.0, 1.0], abs=0.01)


def test_float_image_stays_float_with_straight_alpha(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "float_alpha")
    assert (facts["wire_dtype"], facts["wire_channels"]) == ("float32", 4)
    assert facts["is_float"] and facts["size"] == [32, 32]
    assert facts["colorspace"] == "Linear Rec.709"
    assert facts["straight_centre"] == pytest.approx([0.8, 0.8, 0.2, 0.5], abs=1e-3)


def test_dead_server_gives_clear_error_and_creates_nothing(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "server_down")
    assert "no texforge server answers" in facts["error"]
    assert facts["images_unchanged"]
    assert facts["seconds"] < 10


def test_background_job_is_applied_by_poll(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "background")
    assert facts["states"] == ["succeeded"] and facts["created"]


def test_cancel_stops_the_job_and_creates_nothing(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "cancel")
    assert facts["states"] == ["cancelled"]
    assert facts["seconds_after_cancel"] < 10  # the diagnostic job alone would take 20 s
    assert facts["images_unchanged"]


def test_batch_upscales_every_texture_of_the_material(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "batch")
    assert facts["node_images"] == ["stone_albedo_x2", "stone_rough_x2"]
    assert facts["rough_colorspace"] == "Non-Color"


def test_saved_blend_gets_its_texture_saved_next_to_it(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "saved_blend")
    assert facts["filepath"] == "//textures/saved_x2.png"
    assert facts["exists"] and not facts["packed"]


def test_the_detail_slider_blends_in_the_sharp_partner(outcome: dict[str, Any]) -> None:
    facts = scenario(outcome, "detail_slider")
    assert facts["size"] == [96, 96]
    assert facts["default_detail"] == 0.0  # faithful unless the artist asks for more
    assert facts["difference"] > 0.005
    assert facts["energies"]["sharp"] > 1.3 * facts["energies"]["faithful"]
