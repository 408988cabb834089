"""Blender images <-> numpy, and where images are used (main thread only)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import bpy
import numpy as np

from .pixels import flat_to_rows, premultiply, rows_to_flat, unpremultiply

NON_COLOR = "Non-Color"
LINEAR = "Linear Rec.709"
SRGB = "sRGB"
TEXTURES_FOLDER = "textures"
"""Generated images are saved here, next to the .blend file."""


def read_rgba(image: bpy.types.Image) -> np.ndarray:
    """Straight-alpha RGBA float32, shape (height, width, 4), row 0 at the top."""
    width, height = image.size
    flat = np.empty(width * height * 4, dtype=np.float32)
    image.pixels.foreach_get(flat)
    rgba = flat_to_rows(flat, width, height)
    return unpremultiply(rgba) if image.is_float else np.ascontiguousarray(rgba)


def has_pixels(image: bpy.types.Image) -> bool:
    """The image has a non-empty buffer (reading `size` loads it from its file)."""
    width, height = image.size
    return width > 0 and height > 0


def is_data_colorspace(image: bpy.types.Image) -> bool:
    """True for non-colour images (normals, roughness, masks)."""
    return bool(image.colorspace_settings.is_data) or image.colorspace_settings.name == NON_COLOR


def new_image(name: str, rgba: np.ndarray, *, float_buffer: bool, colorspace: str) -> bpy.types.Image:
    """A new image holding straight-alpha RGBA `rgba` (row 0 at the top)."""
    height, width = rgba.shape[:2]
    image = bpy.data.images.new(name, width=width, height=height, alpha=True, float_buffer=float_buffer)
    image.colorspace_settings.name = colorspace
    pixels = premultiply(rgba) if float_buffer else rgba
    image.pixels.foreach_set(rows_to_flat(pixels))
    image.update()
    return image


def store_image(image: bpy.types.Image) -> None:
    """Save next to the .blend (`//textures/`) when it is saved, else pack into it."""
    image.file_format = "OPEN_EXR" if image.is_float else "PNG"
    if not bpy.data.is_saved:
        image.pack()
        return
    folder = bpy.path.abspath(f"//{TEXTURES_FOLDER}")
    os.makedirs(folder, exist_ok=True)
    extension = ".exr" if image.is_float else ".png"
    path = os.path.join(folder, bpy.path.clean_name(image.name) + extension)
    image.filepath_raw = path
    image.save()
    image.filepath_raw = bpy.path.relpath(path)


def shader_trees() -> Iterator[bpy.types.NodeTree]:
    """Node trees of materials, worlds and shader node groups."""
    for owner in (*bpy.data.materials, *bpy.data.worlds):
        if owner.node_tree is not None:
            yield owner.node_tree
    for group in bpy.data.node_groups:
        if group.bl_idname == "ShaderNodeTree":
            yield group


def image_nodes_using(image: bpy.types.Image) -> list[bpy.types.Node]:
    """Every Image Texture / Environment Texture node showing `image`."""
    return [node for tree in shader_trees() for node in tree.nodes
            if getattr(node, "image", None) == image]


def feeds_normal_map(image: bpy.types.Image) -> bool:
    """Some node showing `image` is linked (through reroutes) into a Normal Map node."""
    return any(_reaches_normal_map(node) for node in image_nodes_using(image))


def _reaches_normal_map(node: bpy.types.Node, depth: int = 0) -> bool:
    if depth > 16:
        return False
    for output in node.outputs:
        for link in output.links:
            target = link.to_node
            if target.bl_idname == "ShaderNodeNormalMap":
                return True
            if target.bl_idname == "NodeReroute" and _reaches_normal_map(target, depth + 1):
                return True
    return False


def replace_image_users(old: bpy.types.Image, new: bpy.types.Image) -> int:
    """Point every node showing `old` at `new`; return how many nodes changed."""
    nodes = image_nodes_using(old)
    for node in nodes:
        node.image = new
    return len(nodes)
