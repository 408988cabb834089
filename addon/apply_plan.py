"""Create what a `wiring.MaterialPlan` describes (main thread only)."""

from __future__ import annotations

from collections.abc import Mapping

import bpy

from .wiring import MaterialPlan


def new_material(plan: MaterialPlan, images: Mapping[str, bpy.types.Image]) -> bpy.types.Material:
    """A new material named after the plan, with exactly the plan's nodes and links."""
    material = bpy.data.materials.new(plan.material_name)
    try:
        if material.node_tree is None:  # Blender < 5.0 creates materials without nodes
            material.use_nodes = True
        build_node_tree(material.node_tree, plan, images)
    except Exception:  # no half-wired material stays behind
        bpy.data.materials.remove(material)
        raise
    return material


def build_node_tree(tree: bpy.types.NodeTree, plan: MaterialPlan, images: Mapping[str, bpy.types.Image]) -> None:
    """Replace `tree`'s nodes with the plan's."""
    tree.nodes.clear()
    nodes = {}
    for planned in plan.nodes:
        node = tree.nodes.new(planned.bl_idname)
        node.name = node.label = planned.name
        node.location = planned.location
        if planned.image_key is not None:
            node.image = images[planned.image_key]
            node.image.colorspace_settings.name = planned.colorspace
        for socket_name, value in planned.input_values.items():
            node.inputs[socket_name].default_value = value
        nodes[planned.name] = node
    for link in plan.links:
        tree.links.new(nodes[link.from_node].outputs[link.from_socket], nodes[link.to_node].inputs[link.to_socket])


def assign_material(material: bpy.types.Material, target: bpy.types.Object | None) -> bool:
    """Put `material` in `target`'s active slot (adding one when it has none); False if it cannot hold one."""
    if target is None or target.type not in {'MESH', 'CURVE', 'SURFACE', 'META', 'FONT', 'CURVES', 'VOLUME'}:
        return False
    if not target.material_slots:
        target.data.materials.append(material)
    else:
        target.material_slots[target.active_material_index].material = material
    return True
