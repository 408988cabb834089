"""Blender side of test_blender_material.py: build materials from maps and from photos, headless."""

from __future__ import annotations

import os
import socket
import struct
import sys
import zlib
from typing import Any

import bpy
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ARGS = harness.arguments()
addon = harness.install_extension(ARGS["zip"])
PREFS = harness.preferences()
PREFS.server_address = ARGS["server"]
PREFS.timeout = 60.0
bpy.ops.mesh.primitive_uv_sphere_add()
SPHERE = bpy.context.active_object


def generated_maps(size: int = 16) -> dict[str, np.ndarray]:
    """Maps as the server returns them: float32 in [0, 1], albedo/specular sRGB-encoded."""
    rng = np.random.default_rng(7)
    normal = np.zeros((size, size, 3), np.float32)
    normal[:] = (0.5, 0.5, 1.0)
    gloss = rng.uniform(0.2, 0.8, (size, size, 1)).astype(np.float32)
    return {"albedo": rng.uniform(0, 1, (size, size, 3)).astype(np.float32),
            "specular": np.full((size, size, 3), 0.2232, np.float32),  # sRGB of F0 = 0.04
            "normal": normal, "glossiness": gloss, "roughness": 1.0 - gloss}


def describe(material: bpy.types.Material) -> dict[str, Any]:
    """Node types, links and image colour spaces of a material, as plain data."""
    tree = material.node_tree
    return {
        "name": material.name,
        "nodes": {node.name: node.bl_idname for node in tree.nodes},
        "links": sorted([link.from_node.name, link.from_socket.name, link.to_node.name, link.to_socket.name]
                        for link in tree.links),
        "colorspaces": {node.name: node.image.colorspace_settings.name
                        for node in tree.nodes if node.bl_idname == "ShaderNodeTexImage"},
        "packed": all(node.image.packed_file is not None
                      for node in tree.nodes if node.bl_idname == "ShaderNodeTexImage"),
        "ior": tree.nodes["Principled BSDF"].inputs["IOR"].default_value,
        "assigned": SPHERE.active_material == material,
    }


def maps_to_material() -> dict[str, Any]:
    request = addon.material.MaterialOrder("generated", addon.protocol.MaterialArgs(), SPHERE.name)
    message = addon.material.apply_material_maps(request, generated_maps())
    facts = describe(bpy.data.materials["generated"])
    level = addon.blender_images.read_rgba(bpy.data.images["generated_specular_level"])
    return {**facts, "message": message, "mean_specular_level": float(level[..., 0].mean())}


def material_models() -> dict[str, Any]:
    bpy.ops.texforge.test_connection(synchronous=True)
    return {"names": [model["name"] for model in addon.runtime.CONNECTION.models if model["kind"] == "material"]}


def save_image(path: str, rgb: np.ndarray, file_format: str = "PNG") -> None:
    """Save an (H, W, 3) float image, row 0 at the top, through Blender (opaque alpha); an
    `OPEN_EXR` file keeps linear floats, a PNG 8-bit values."""
    height, width = rgb.shape[:2]
    rgba = np.ones((height, width, 4), np.float32)
    rgba[..., :3] = rgb
    image = bpy.data.images.new("test_writer", width, height, alpha=True, float_buffer=file_format == "OPEN_EXR")
    image.pixels.foreach_set(np.flipud(rgba).reshape(-1))  # Blender's rows run bottom to top
    image.filepath_raw, image.file_format = path, file_format
    image.save()
    bpy.data.images.remove(image)


def write_flash_photo(path: str, size: int = 64) -> None:
    """A synthetic flash photo: a brown surface with a bright centre, saved as PNG through Blender."""
    y, x = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    falloff = np.exp(-(x ** 2 + y ** 2) * 6.0)[..., None]
    save_image(path, np.clip(np.array([0.45, 0.3, 0.2]) * (0.4 + 0.8 * falloff), 0, 1))


def from_photo() -> dict[str, Any]:
    if not material_models()["names"]:
        return {"skipped": "the server has no material model"}
    flash = os.path.join(ARGS["work_dir"], "oak_flash.png")
    write_flash_photo(flash)
    # a known field of view travels with the request (the server rejects one outside 5..120)
    bpy.ops.texforge.material_from_photos(flash_path=flash, size=64, field_of_view=25.0, synchronous=True)
    tooltips = [bpy.ops.texforge.material_from_photos.get_rna_type().properties["flash_path"].description,
                bpy.context.scene.texforge.bl_rna.properties["flash_path"].description]
    return {**describe(bpy.data.materials["oak_flash"]), "photo_left_behind": "oak_flash.png" in bpy.data.images,
            "flash_tooltips": tooltips}


def add_exif_focal_length(path: str, focal_35mm: int, orientation: int = 0) -> None:
    """Insert an eXIf chunk recording a 35 mm-equivalent focal length (and an Orientation, unless 0)
    after the PNG's header chunk, as a phone would record them (Blender writes no EXIF of its own)."""
    entries = [struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)] if orientation else []
    exif_offset = 8 + 2 + 12 * (len(entries) + 1) + 4
    entries.append(struct.pack("<HHII", 0x8769, 4, 1, exif_offset))
    first_ifd = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    exif_ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0xA405, 3, 1, focal_35mm, 0) + struct.pack("<I", 0)
    tiff = b"II" + struct.pack("<HI", 42, 8) + first_ifd + exif_ifd
    chunk = struct.pack(">I", len(tiff)) + b"eXIf" + tiff + struct.pack(">I", zlib.crc32(b"eXIf" + tiff))
    with open(path, "rb") as stream:
        data = stream.read()
    header_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4  # signature, then IHDR's length, type, data, CRC
    with open(path, "wb") as stream:
        stream.write(data[:header_end] + chunk + data[header_end:])


def from_exif_photo() -> dict[str, Any]:
    if not material_models()["names"]:
        return {"skipped": "the server has no material model"}
    flash = os.path.join(ARGS["work_dir"], "phone_flash.png")
    write_flash_photo(flash)
    add_exif_focal_length(flash, 26)
    bpy.ops.texforge.material_from_photos(flash_path=flash, size=64, synchronous=True)  # field of view left at 0
    recorded = bpy.data.materials["phone_flash"].get(addon.material.FIELD_OF_VIEW_PROPERTY)
    bpy.ops.texforge.material_from_image(image_name=bpy.data.images.load(flash).name, size=32, synchronous=True)
    from_node = bpy.data.materials["phone_flash.001"].get(addon.material.FIELD_OF_VIEW_PROPERTY)
    told = bpy.data.materials["oak_flash"].get(addon.material.FIELD_OF_VIEW_PROPERTY)
    return {"recorded": recorded, "from_image": from_node, "told": told}


def portrait_photo() -> dict[str, Any]:
    """A phone's portrait photo: stored as 48 x 32 landscape pixels (the dark half on the left) with
    EXIF Orientation 6, seen upright as 32 x 48 with the dark half on top."""
    if not material_models()["names"]:
        return {"skipped": "the server has no material model"}
    flash = os.path.join(ARGS["work_dir"], "portrait_flash.png")
    stored = np.full((32, 48, 3), 0.7)
    stored[:, :24] = 0.15
    save_image(flash, stored)
    add_exif_focal_length(flash, 26, orientation=6)
    bpy.ops.texforge.material_from_photos(flash_path=flash, size=0, synchronous=True)
    created = bpy.data.materials["portrait_flash"]
    albedo = created.node_tree.nodes["Albedo"].image
    rows = addon.blender_images.read_rgba(albedo)[..., :3].mean(axis=(1, 2))
    return {"size": list(albedo.size), "top_mean": float(rows[:24].mean()), "bottom_mean": float(rows[24:].mean()),
            "recorded": created.get(addon.material.FIELD_OF_VIEW_PROPERTY)}


def float_photo() -> dict[str, Any]:
    """An EXR flash photo (linear light, a hotspot above 1): what the add-on sends, and the material."""
    if not material_models()["names"]:
        return {"skipped": "the server has no material model"}
    path = os.path.join(ARGS["work_dir"], "render_flash.exr")
    y, x = np.mgrid[0:48, 0:48] / 47.0 - 0.5
    falloff = np.exp(-(x ** 2 + y ** 2) * 6.0)[..., None]
    linear = np.round(np.array([0.3, 0.12, 0.05]) * (0.4 + 4.0 * falloff) * 64) / 64  # exact in half floats
    save_image(path, linear.astype(np.float32), "OPEN_EXR")
    sent: dict[str, Any] = {}
    original = addon.remote.estimate_material

    def recording(settings: Any, flash: np.ndarray, guide: Any, args: Any, *rest: Any) -> Any:
        sent.update(dtype=str(flash.dtype), linear_photo=args.linear_photo,
                    largest_error=float(np.abs(flash - linear).max()), brightest=float(flash.max()))
        return original(settings, flash, guide, args, *rest)

    addon.remote.estimate_material = recording
    try:
        bpy.ops.texforge.material_from_photos(flash_path=path, size=48, field_of_view=25.0, synchronous=True)
    finally:
        addon.remote.estimate_material = original
    return {**sent, "created": "render_flash" in bpy.data.materials}


def heic_photo() -> dict[str, Any]:
    flash = os.path.join(ARGS["work_dir"], "IMG_0001.HEIC")
    with open(flash, "wb") as stream:
        stream.write(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    before = sorted(bpy.data.materials.keys())
    error = harness.operator_error(lambda: bpy.ops.texforge.material_from_photos(flash_path=flash, synchronous=True))
    return {"error": error, "unchanged": before == sorted(bpy.data.materials.keys())}


def write_stripes_photo(path: str, size: int = 64) -> None:
    """Diagonal stripes: a photo of some other surface than write_flash_photo's."""
    y, x = np.mgrid[0:size, 0:size]
    save_image(path, np.repeat((0.5 + 0.45 * np.sign(np.sin((x + y) / 2.0)))[..., None], 3, axis=2))


def guide_aligned() -> dict[str, Any]:
    if "material-2shot" not in material_models()["names"]:
        return {"skipped": "the server has no 2-shot material model"}
    flash, guide = (os.path.join(ARGS["work_dir"], name) for name in ("tile_flash.png", "tile_guide.png"))
    write_flash_photo(flash)
    write_stripes_photo(guide)
    common = {"flash_path": flash, "guide_path": guide, "size": 64, "model": "material-2shot", "synchronous": True}
    refused = harness.operator_error(lambda: bpy.ops.texforge.material_from_photos(**common))
    created_when_refused = "tile_flash" in bpy.data.materials
    bpy.ops.texforge.material_from_photos(guide_aligned=True, **common)
    return {"refused": refused, "created_when_refused": created_when_refused,
            "created": "tile_flash" in bpy.data.materials}


def from_image() -> dict[str, Any]:
    if not material_models()["names"]:
        return {"skipped": "the server has no material model"}
    path = os.path.join(ARGS["work_dir"], "slate_photo.png")
    write_flash_photo(path, 32)
    image = bpy.data.images.load(path)
    bpy.ops.texforge.material_from_image(image_name=image.name, size=32, synchronous=True)
    return describe(bpy.data.materials["slate_photo"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_down() -> dict[str, Any]:
    flash = os.path.join(ARGS["work_dir"], "down_flash.png")
    write_flash_photo(flash, 16)
    before = (harness.image_names(), sorted(bpy.data.materials.keys()))
    PREFS.server_address, PREFS.timeout = f"tcp://127.0.0.1:{free_port()}", 2.0
    try:
        error = harness.operator_error(lambda: bpy.ops.texforge.material_from_photos(
            flash_path=flash, synchronous=True))
    finally:
        PREFS.server_address, PREFS.timeout = ARGS["server"], 60.0
    return {"error": error, "unchanged": before == (harness.image_names(), sorted(bpy.data.materials.keys()))}


def missing_photo() -> dict[str, Any]:
    error = harness.operator_error(lambda: bpy.ops.texforge.material_from_photos(
        flash_path="/nonexistent/flash.jpg", synchronous=True))
    return {"error": error}


harness.run_scenarios({"maps_to_material": maps_to_material, "from_photo": from_photo,
                       "from_exif_photo": from_exif_photo, "portrait_photo": portrait_photo,
                       "heic_photo": heic_photo, "float_photo": float_photo,
                       "from_image": from_image, "guide_aligned": guide_aligned,
                       "server_down": server_down, "missing_photo": missing_photo}, ARGS["result_path"])
