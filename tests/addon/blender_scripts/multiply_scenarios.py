"""Blender side of test_blender_multiply.py: the Texture Multiplier through a real server, in headless bpy."""

from __future__ import annotations

import os
import sys
import time
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


def make_image(name: str, rows_top_down: np.ndarray, colorspace: str = "sRGB") -> bpy.types.Image:
    """An 8-bit image whose pixels are `rows_top_down` (H x W x 4, row 0 at the top)."""
    height, width = rows_top_down.shape[:2]
    image = bpy.data.images.new(name, width, height, alpha=True)
    image.colorspace_settings.name = colorspace
    image.pixels.foreach_set(np.ascontiguousarray(np.flipud(rows_top_down), dtype=np.float32).reshape(-1))
    return image


def pattern(size: int, seed: int) -> np.ndarray:
    """Quantised blobs in 8-bit steps (every value survives the 8-bit round trip exactly)."""
    rows, cols = np.mgrid[:size, :size] / size
    rng = np.random.default_rng(seed)
    field = sum(np.sin(rng.uniform(4, 12) * (np.cos(a) * cols + np.sin(a) * rows) + rng.uniform(0, 6))
                for a in rng.uniform(0, np.pi, 6))
    levels = np.round((field - field.min()) / (field.max() - field.min()) * 255) / 255
    rgba = np.ones((size, size, 4), np.float32)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = levels, 1 - levels, 0.5 * levels
    return rgba


def pixels(image: bpy.types.Image) -> np.ndarray:
    return addon.blender_images.read_rgba(image)


def image_variations() -> dict[str, Any]:
    source = make_image("tiles.png", pattern(32, 0))
    started = time.perf_counter()
    bpy.ops.texforge.multiply_image(image_name="tiles.png", count=2, width=48, height=40, seed=3, synchronous=True)
    first, second = bpy.data.images["tiles_var1"], bpy.data.images["tiles_var2"]
    known = {tuple(np.round(pixel * 255).astype(int)) for pixel in pixels(source).reshape(-1, 4)}
    copied = all(tuple(np.round(pixel * 255).astype(int)) in known for pixel in pixels(first).reshape(-1, 4))
    return {"seconds": time.perf_counter() - started, "size": list(first.size),
            "colorspace": first.colorspace_settings.name, "packed": first.packed_file is not None,
            "copied": copied, "different": bool(np.abs(pixels(first) - pixels(second)).max() > 0)}


def material_variations() -> dict[str, Any]:
    albedo_rows = pattern(32, 1)
    rough_rows = albedo_rows.copy()
    rough_rows[..., 1] = rough_rows[..., 2] = rough_rows[..., 0]  # roughness = albedo's red, exactly
    albedo, rough = make_image("stone_albedo.png", albedo_rows), make_image("stone_rough.png", rough_rows, "Non-Color")
    material = bpy.data.materials.new("Stone")
    if material.node_tree is None:
        material.use_nodes = True
    tree = material.node_tree
    principled = tree.nodes.get("Principled BSDF")
    for image, socket in ((albedo, "Base Color"), (rough, "Roughness")):
        node = tree.nodes.new("ShaderNodeTexImage")
        node.image = image
        tree.links.new(node.outputs["Color"], principled.inputs[socket])
    with bpy.context.temp_override(material=material):
        bpy.ops.texforge.multiply_material(count=2, width=40, height=40, seed=5, synchronous=True)
    copies = [bpy.data.materials[f"Stone_var{index}"] for index in (1, 2)]
    shown = [sorted(node.image.name for node in copy.node_tree.nodes if node.bl_idname == "ShaderNodeTexImage")
             for copy in copies]
    first_albedo, first_rough = bpy.data.images["stone_albedo_var1"], bpy.data.images["stone_rough_var1"]
    aligned = float(np.abs(pixels(first_albedo)[..., 0] - pixels(first_rough)[..., 0]).max())
    return {"shown": shown, "aligned_error": aligned, "rough_colorspace": first_rough.colorspace_settings.name,
            "original_kept": sorted(node.image.name for node in tree.nodes if node.bl_idname == "ShaderNodeTexImage")}


def seamless() -> dict[str, Any]:
    rows = np.ones((32, 40, 4), np.float32)
    rows[..., 0] = np.round(np.linspace(0, 1, 40)[None, :].repeat(32, axis=0) * 255) / 255
    source = make_image("ramp.png", rows)
    material = bpy.data.materials.new("Ramp")
    if material.node_tree is None:
        material.use_nodes = True
    node = material.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = source
    bpy.ops.texforge.make_seamless(image_name="ramp.png", border=0.3, replace_usages=True, synchronous=True)
    result = bpy.data.images["ramp_seamless"]
    values = pixels(result)[..., 0]
    return {"size": list(result.size), "node_image": node.image.name,
            "wrap_step": float(np.abs(values[:, 0] - values[:, -1]).mean()),
            "source_wrap_step": float(np.abs(rows[:, 0, 0] - rows[:, -1, 0]).mean())}


def background() -> dict[str, Any]:
    make_image("async.png", pattern(24, 2))
    bpy.ops.texforge.multiply_image(image_name="async.png", count=1, synchronous=False)
    jobs = addon.runtime.RUNNER.active()
    started = time.perf_counter()
    while time.perf_counter() - started < 60 and any(job.state.value == "running" for job in jobs):
        addon.poll()
        time.sleep(0.05)
    return {"jobs": len(jobs), "states": [job.state.value for job in jobs], "created": "async_var1" in bpy.data.images}


def cancel() -> dict[str, Any]:
    make_image("big.png", pattern(64, 4))
    images_before = harness.image_names()
    bpy.ops.texforge.multiply_image(image_name="big.png", count=8, width=1536, height=1536, synchronous=False)
    jobs = addon.runtime.RUNNER.active()
    time.sleep(1.5)
    bpy.ops.texforge.cancel_jobs()
    started = time.perf_counter()
    while time.perf_counter() - started < 30 and any(job.state.value == "running" for job in jobs):
        addon.poll()
        time.sleep(0.05)
    return {"states": [job.state.value for job in jobs], "seconds_after_cancel": time.perf_counter() - started,
            "images_unchanged": harness.image_names() == images_before}


def bad_material() -> dict[str, Any]:
    material = bpy.data.materials.new("Bare")
    if material.node_tree is None:
        material.use_nodes = True
    with bpy.context.temp_override(material=material):
        error = harness.operator_error(lambda: bpy.ops.texforge.multiply_material(synchronous=True))
    return {"error": error}


harness.run_scenarios({
    "image_variations": image_variations, "material_variations": material_variations, "seamless": seamless,
    "background": background, "cancel": cancel, "bad_material": bad_material,
}, ARGS["result_path"])
