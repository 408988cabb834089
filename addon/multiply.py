"""Texture Multiplier for Blender images and materials: snapshot, work, apply (bpy on the main thread).

The work sends the snapshot's wire images (`upscale.snapshot`: the same dtypes and colour spaces
as upscaling) and never touches bpy; the apply step creates `<name>_varK` images (and, for a
material, `<material>_varK` copies wired to them), or `<name>_seamless`.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import bpy
import numpy as np

from . import blender_images, remote
from .jobs import Job, ProgressCallback
from .multiply_plan import MaterialTexture, MultiplyPlan, seamless_name, variation_name
from .pixels import decode_from_wire
from .protocol import MultiplyArgs, SeamlessArgs
from .texture_roles import TextureRole
from .upscale import SourceSnapshot

_PASS_THROUGH = ("NodeReroute",)
_HEIGHT_NODES = ("ShaderNodeBump", "ShaderNodeDisplacement")


def new_image_from(source: SourceSnapshot, name: str, result: np.ndarray) -> bpy.types.Image:
    """A stored image holding a wire result, with the source's colour space and buffer type."""
    colorspace = source.colorspace_name
    if source.is_float and source.role is TextureRole.COLOR:
        colorspace = blender_images.LINEAR
    image = blender_images.new_image(name, decode_from_wire(result), float_buffer=source.is_float, colorspace=colorspace)
    try:
        blender_images.store_image(image)
    except RuntimeError:
        bpy.data.images.remove(image)  # no half-made image stays behind
        raise
    return image


# --- one image ----------------------------------------------------------------------------------


def variations_job(source: SourceSnapshot, args: MultiplyArgs, settings: remote.ServerSettings) -> Job:
    """A job that makes variations of one image and, on the main thread, creates `<name>_varK` images."""

    def work(progress: ProgressCallback, cancel_event: threading.Event) -> list[dict[str, np.ndarray]]:
        return remote.multiply(settings, source.wire_image, args, source.wire_colorspace, {}, progress, cancel_event)

    return Job(label=f"Variations of {source.name}", work=work, apply=functools.partial(apply_variations, source),
               explain=remote.explain)


def apply_variations(source: SourceSnapshot, variations: list[dict[str, np.ndarray]]) -> str:
    """Create one image per variation; on any failure remove those made so far."""
    created: list[bpy.types.Image] = []
    try:
        for index, made in enumerate(variations, start=1):
            created.append(new_image_from(source, variation_name(source.name, index), made["image"]))
    except Exception:
        for image in created:
            bpy.data.images.remove(image)
        raise
    width, height = created[0].size
    return f"created {', '.join(image.name for image in created)} ({width}x{height})"


def seamless_job(source: SourceSnapshot, args: SeamlessArgs, replace_usages: bool,
                 settings: remote.ServerSettings) -> Job:
    """A job that makes one image tileable and, on the main thread, creates `<name>_seamless`."""

    def work(progress: ProgressCallback, cancel_event: threading.Event) -> dict[str, np.ndarray]:
        return remote.make_seamless(settings, source.wire_image, args, source.wire_colorspace, {}, progress, cancel_event)

    return Job(label=f"Make {source.name} seamless", work=work,
               apply=functools.partial(apply_seamless, source, replace_usages), explain=remote.explain)


def apply_seamless(source: SourceSnapshot, replace_usages: bool, result: dict[str, np.ndarray]) -> str:
    """Create `<name>_seamless`, and optionally show it wherever the original was shown."""
    image = new_image_from(source, seamless_name(source.name), result["image"])
    original = bpy.data.images.get(source.name)
    replaced = blender_images.replace_image_users(original, image) if replace_usages and original is not None else 0
    return f"created {image.name}" + (f", replaced in {replaced} node(s)" if replace_usages else "")


# --- a material ---------------------------------------------------------------------------------


def material_textures(material: bpy.types.Material) -> list[MaterialTexture]:
    """Every Image Texture node of the material with the shader socket its image reaches."""
    textures = []
    for node in material.node_tree.nodes:
        image = getattr(node, "image", None)
        if node.bl_idname != "ShaderNodeTexImage" or image is None or not blender_images.has_pixels(image):
            continue
        socket = next((found for output in node.outputs if (found := _socket_reached(output))), "")
        textures.append(MaterialTexture(image.name, socket, (int(image.size[0]), int(image.size[1]))))
    return textures


def _socket_reached(output: bpy.types.NodeSocket, depth: int = 0) -> str:
    """The shader input an output feeds, through reroutes, Normal Map ('Normal') and Bump or Displacement ('Height')."""
    for link in output.links if depth < 16 else ():
        target = link.to_node
        if target.bl_idname in _PASS_THROUGH:
            return _socket_reached(target.outputs[0], depth + 1)
        if target.bl_idname == "ShaderNodeNormalMap":
            return "Normal"
        if target.bl_idname in _HEIGHT_NODES and link.to_socket.name == "Height":
            return "Height"
        return str(link.to_socket.name)
    return ""


def material_job(material_name: str, plan: MultiplyPlan, sources: dict[str, SourceSnapshot], args: MultiplyArgs,
                 settings: remote.ServerSettings) -> Job:
    """A job that multiplies a material's textures together (aligned) and, on the main thread,
    creates one material copy per variation, wired to that variation's images."""
    exemplar = sources[plan.exemplar]
    maps = {name: (sources[image].wire_image, sources[image].wire_colorspace) for name, image in plan.maps.items()}

    def work(progress: ProgressCallback, cancel_event: threading.Event) -> list[dict[str, np.ndarray]]:
        return remote.multiply(settings, exemplar.wire_image, args, exemplar.wire_colorspace, maps, progress,
                               cancel_event)

    return Job(label=f"Variations of material {material_name}", work=work,
               apply=functools.partial(apply_material_variations, material_name, plan, sources), explain=remote.explain)


def apply_material_variations(material_name: str, plan: MultiplyPlan, sources: dict[str, SourceSnapshot],
                              variations: list[dict[str, Any]]) -> str:
    """`<material>_varK` copies with every multiplied image swapped for its variation; all or nothing."""
    original = bpy.data.materials.get(material_name)
    if original is None:
        raise RuntimeError(f"material {material_name!r} is gone")
    created_images: list[bpy.types.Image] = []
    created_materials: list[bpy.types.Material] = []
    try:
        for index, made in enumerate(variations, start=1):
            swaps = {plan.exemplar: new_image_from(sources[plan.exemplar], variation_name(plan.exemplar, index),
                                                   made["image"])}
            for name, image_name in plan.maps.items():
                swaps[image_name] = new_image_from(sources[image_name], variation_name(image_name, index), made[name])
            created_images += swaps.values()
            copy = original.copy()
            copy.name = variation_name(material_name, index)
            created_materials.append(copy)
            for node in copy.node_tree.nodes:
                image = getattr(node, "image", None)
                if image is not None and image.name in swaps:
                    node.image = swaps[image.name]
    except Exception:  # roll back every datablock made so far, then let the job report it
        for material in created_materials:
            bpy.data.materials.remove(material)
        for image in created_images:
            bpy.data.images.remove(image)
        raise
    note = f"; left as they were: {', '.join(plan.ignored)}" if plan.ignored else ""
    return f"created {', '.join(material.name for material in created_materials)}{note}"
