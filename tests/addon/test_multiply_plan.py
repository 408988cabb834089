"""Which of a material's images the Texture Multiplier sends, and the names of what it makes (pure: no bpy)."""

from __future__ import annotations

import pytest

from .pure_modules import load

plan_module = load("multiply_plan")
MaterialTexture = plan_module.MaterialTexture


def texture(name: str, socket: str, size: tuple[int, int] = (64, 64)) -> object:
    return MaterialTexture(name, socket, size)


def test_the_base_colour_leads_and_known_sockets_become_maps() -> None:
    plan = plan_module.plan_material([texture("rough.png", "Roughness"), texture("albedo.png", "Base Color"),
                                      texture("nrm.png", "Normal"), texture("bump.png", "Height"),
                                      texture("mask.png", "Fac")], max_images=8)
    assert plan.exemplar == "albedo.png"
    assert plan.maps == {"roughness": "rough.png", "normal": "nrm.png", "height": "bump.png"}
    assert plan.ignored == ("mask.png",)


def test_a_material_without_base_colour_or_with_mismatched_maps_is_explained() -> None:
    with pytest.raises(ValueError, match="no image in Base Color"):
        plan_module.plan_material([texture("nrm.png", "Normal")], max_images=8)
    with pytest.raises(ValueError, match="rough.png is 32x32 but the base colour albedo.png is 64x64"):
        plan_module.plan_material([texture("albedo.png", "Base Color"), texture("rough.png", "Roughness", (32, 32))], 8)
    with pytest.raises(ValueError, match="takes 2 images per request; this material has 3"):
        plan_module.plan_material([texture("a", "Base Color"), texture("b", "Normal"), texture("c", "Metallic")], 2)


def test_every_socket_map_is_a_map_the_protocol_knows() -> None:
    known = set(load("protocol.maps").TEXTURE_MAP_COLORSPACES)
    assert {name for name in plan_module.SOCKET_MAPS.values() if name is not None} <= known


def test_result_names_drop_the_file_suffix() -> None:
    assert plan_module.variation_name("bricks.png", 2) == "bricks_var2"
    assert plan_module.variation_name("Stone", 1) == "Stone_var1"
    assert plan_module.seamless_name("wall.JPG") == "wall_seamless"
