"""The material plan (addon/wiring.py) as plain data: nodes, places, colour spaces, links."""

from __future__ import annotations

import itertools

import pytest

from .pure_modules import load

wiring = load("wiring")
ALL_MAPS = ("albedo", "specular_level", "specular_tint", "roughness", "normal")


def links_into(plan, node: str) -> dict[str, tuple[str, str]]:
    return {link.to_socket: (link.from_node, link.from_socket) for link in plan.links if link.to_node == node}


def test_full_plan_feeds_every_principled_input() -> None:
    plan = wiring.plan_material("oak", ALL_MAPS)
    assert links_into(plan, wiring.PRINCIPLED) == {
        "Base Color": ("Albedo", "Color"),
        "Specular IOR Level": ("Specular Level", "Color"),
        "Specular Tint": ("Specular Tint", "Color"),
        "Roughness": ("Roughness", "Color"),
        "Normal": (wiring.NORMAL_MAP, "Normal"),
    }
    assert links_into(plan, wiring.NORMAL_MAP) == {"Color": ("Normal", "Color")}
    assert links_into(plan, wiring.OUTPUT) == {"Surface": (wiring.PRINCIPLED, "BSDF")}


def test_colour_maps_are_srgb_and_data_maps_non_colour() -> None:
    plan = wiring.plan_material("oak", ALL_MAPS)
    spaces = {node.image_key: node.colorspace for node in plan.image_nodes()}
    assert spaces == {"albedo": "sRGB", "specular_tint": "sRGB", "specular_level": "Non-Color",
                      "roughness": "Non-Color", "normal": "Non-Color"}


def test_every_image_reads_the_shared_mapping() -> None:
    plan = wiring.plan_material("oak", ALL_MAPS)
    for node in plan.image_nodes():
        assert links_into(plan, node.name) == {"Vector": (wiring.MAPPING, "Vector")}
    assert links_into(plan, wiring.MAPPING) == {"Vector": (wiring.TEXTURE_COORDINATE, "UV")}


def test_layout_flows_left_to_right_and_images_stack_without_overlap() -> None:
    plan = wiring.plan_material("oak", ALL_MAPS)
    x = {node.name: node.location[0] for node in plan.nodes}
    left_to_right = [wiring.TEXTURE_COORDINATE, wiring.MAPPING, "Albedo", wiring.NORMAL_MAP, wiring.PRINCIPLED,
                     wiring.OUTPUT]
    assert [x[name] for name in left_to_right] == sorted(x[name] for name in left_to_right)
    ys = [node.location[1] for node in plan.image_nodes()]
    assert ys == sorted(ys, reverse=True) and min(a - b for a, b in itertools.pairwise(ys)) >= 250
    assert plan.node(wiring.NORMAL_MAP).location[1] == plan.node("Normal").location[1]


def test_node_names_are_unique_and_links_name_planned_nodes() -> None:
    plan = wiring.plan_material("oak", ALL_MAPS)
    names = [node.name for node in plan.nodes]
    assert len(names) == len(set(names))
    for link in plan.links:
        plan.node(link.from_node), plan.node(link.to_node)


def test_ior_and_metallic_are_set_on_the_shader() -> None:
    plan = wiring.plan_material("oak", ALL_MAPS, ior=1.8)
    assert plan.node(wiring.PRINCIPLED).input_values == {"IOR": 1.8, "Metallic": 0.0}


def test_missing_maps_leave_their_sockets_unlinked() -> None:
    plan = wiring.plan_material("oak", ["albedo"])
    assert set(links_into(plan, wiring.PRINCIPLED)) == {"Base Color"}
    with pytest.raises(KeyError):
        plan.node(wiring.NORMAL_MAP)


def test_unknown_map_is_refused() -> None:
    with pytest.raises(ValueError, match="height"):
        wiring.plan_material("oak", ["albedo", "height"])


def test_image_names_follow_the_material() -> None:
    assert wiring.image_name("oak", "roughness") == "oak_roughness"
