"""Blender side of test_blender_upscale.py: upscale through a real server, in headless bpy."""

from __future__ import annotations

import os
import socket
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
PREFS.timeout = 20.0


def make_image(name: str, rows_top_down: np.ndarray, *, float_buffer: bool = False,
               colorspace: str = "sRGB") -> bpy.types.Image:
    """An image whose pixels are `rows_top_down` (H x W x 4, row 0 at the top)."""
    height, width = rows_top_down.shape[:2]
    image = bpy.data.images.new(name, width, height, alpha=True, float_buffer=float_buffer)
    image.colorspace_settings.name = colorspace
    image.pixels.foreach_set(np.ascontiguousarray(np.flipud(rows_top_down), dtype=np.float32).reshape(-1))
    return image


def material_using(image: bpy.types.Image, name: str, through_normal_map: bool = False) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    if material.node_tree is None:
        material.use_nodes = True
    tree = material.node_tree
    node = tree.nodes.new("ShaderNodeTexImage")
    node.name = "Texture"
    node.image = image
    principled = tree.nodes.get("Principled BSDF")
    if through_normal_map:
        normal_map = tree.nodes.new("ShaderNodeNormalMap")
        tree.links.new(node.outputs["Color"], normal_map.inputs["Color"])
        tree.links.new(normal_map.outputs["Normal"], principled.inputs["Normal"])
    else:
        tree.links.new(node.outputs["Color"], principled.inputs["Base Color"])
    return material


def top_down(image: bpy.types.Image) -> np.ndarray:
    return addon.blender_images.read_rgba(image)


def red_over_blue(height: int, width: int) -> np.ndarray:
    rows = np.zeros((height, width, 4), np.float32)
    rows[..., 3] = 1.0
    rows[: height // 2, :, 0] = 1.0
    rows[height // 2:, :, 2] = 1.0
    return rows


def env_override() -> dict[str, Any]:
    os.environ["TEXFORGE_SERVER"] = "tcp://127.0.0.1:1"
    try:
        overridden = addon.runtime.server_settings().address
    finally:
        del os.environ["TEXFORGE_SERVER"]
    return {"overridden": overridden, "preference": addon.runtime.server_settings().address}


def connection() -> dict[str, Any]:
    bpy.ops.texforge.test_connection(synchronous=True)
    status = addon.runtime.CONNECTION
    return {"state": status.state, "detail": status.detail,
            "models": [(model["name"], model["kind"]) for model in status.models]}


def srgb_byte() -> dict[str, Any]:
    source = make_image("bricks.png", red_over_blue(8, 16))
    material = material_using(source, "Bricks")
    started = time.perf_counter()
    # bicubic: this checks orientation, packing and swapping exactly, not a network's colour fidelity
    bpy.ops.texforge.upscale_image(image_name="bricks.png", scale="2", model="bicubic", synchronous=True,
                                   replace_usages=True)
    result = bpy.data.images["bricks_x2"]
    pixels = top_down(result)
    return {"seconds": time.perf_counter() - started, "size": list(result.size),
            "colorspace": result.colorspace_settings.name, "is_float": result.is_float,
            "packed": result.packed_file is not None, "node_image": material.node_tree.nodes["Texture"].image.name,
            "top_left": pixels[0, 0].tolist(), "bottom_left": pixels[-1, 0].tolist(),
            "original_kept": "bricks.png" in bpy.data.images}


def normal_map() -> dict[str, Any]:
    rows = np.zeros((8, 8, 4), np.float32)
    rows[:] = (0.5, 0.5, 1.0, 1.0)
    source = make_image("wall_height", rows, colorspace="Non-Color")
    material_using(source, "Wall", through_normal_map=True)
    role = addon.upscale.snapshot(source).role.value
    bpy.ops.texforge.upscale_image(image_name="wall_height", scale="2", synchronous=True)
    result = bpy.data.images["wall_height_x2"]
    return {"role": role, "colorspace": result.colorspace_settings.name, "size": list(result.size),
            "centre": top_down(result)[8, 8].tolist()}


def float_alpha() -> dict[str, Any]:
    rows = np.zeros((8, 8, 4), np.float32)
    rows[:] = (0.4, 0.8 * 0.5, 0.2 * 0.5, 0.5)  # premultiplied, as Blender keeps float buffers
    rows[..., 0] = 0.8 * 0.5
    source = make_image("decal.exr", rows, float_buffer=True, colorspace="Linear Rec.709")
    snapshot = addon.upscale.snapshot(source)
    # bicubic keeps flat colours exact, so the alpha conversion is what this checks
    bpy.ops.texforge.upscale_image(image_name="decal.exr", scale="4", model="bicubic", synchronous=True)
    result = bpy.data.images["decal_x4"]
    return {"wire_dtype": str(snapshot.wire_image.dtype), "wire_channels": int(snapshot.wire_image.shape[2]),
            "is_float": result.is_float, "size": list(result.size), "colorspace": result.colorspace_settings.name,
            "straight_centre": top_down(result)[16, 16].tolist()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_down() -> dict[str, Any]:
    source = make_image("lonely.png", red_over_blue(8, 8))
    images_before = harness.image_names()
    PREFS.server_address, PREFS.timeout = f"tcp://127.0.0.1:{free_port()}", 2.0
    started = time.perf_counter()
    try:
        error = harness.operator_error(lambda: bpy.ops.texforge.upscale_image(
            image_name=source.name, synchronous=True))
    finally:
        PREFS.server_address, PREFS.timeout = ARGS["server"], 20.0
    return {"error": error, "seconds": time.perf_counter() - started,
            "images_unchanged": harness.image_names() == images_before}


def wait_for(jobs: list, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout and any(job.state.value == "running" for job in jobs):
        addon.poll()
        time.sleep(0.05)
    return time.perf_counter() - started


def background_upscale() -> dict[str, Any]:
    make_image("async.png", red_over_blue(8, 8))
    bpy.ops.texforge.upscale_image(image_name="async.png", synchronous=False)
    jobs = addon.runtime.RUNNER.active()
    seconds = wait_for(jobs, 30)
    return {"jobs": len(jobs), "states": [job.state.value for job in jobs], "seconds": seconds,
            "created": "async_x2" in bpy.data.images}


def cancel() -> dict[str, Any]:
    rows = np.full((8, 8, 4), 200 / 255, np.float32)  # diagnostic-slow: top-left 200 -> 20 s
    rows[..., 3] = 1.0
    make_image("slow.png", rows)
    images_before = harness.image_names()
    bpy.ops.texforge.upscale_image(image_name="slow.png", model="diagnostic-slow", synchronous=False)
    jobs = addon.runtime.RUNNER.active()
    time.sleep(1.0)
    stage_before_cancel = jobs[0].stage
    bpy.ops.texforge.cancel_jobs()
    seconds = wait_for(jobs, 15)
    return {"states": [job.state.value for job in jobs], "seconds_after_cancel": seconds,
            "stage_before_cancel": stage_before_cancel, "message": jobs[0].message,
            "images_unchanged": harness.image_names() == images_before}


def batch() -> dict[str, Any]:
    first = make_image("stone_albedo.png", red_over_blue(8, 8))
    second = make_image("stone_rough.png", red_over_blue(8, 8), colorspace="Non-Color")
    material = material_using(first, "Stone")
    extra = material.node_tree.nodes.new("ShaderNodeTexImage")
    extra.image = second
    with bpy.context.temp_override(material=material):
        bpy.ops.texforge.upscale_material_textures(scale="2", synchronous=True, replace_usages=True)
    return {"node_images": sorted(node.image.name for node in material.node_tree.nodes if node.bl_idname == "ShaderNodeTexImage"),
            "rough_colorspace": bpy.data.images["stone_rough_x2"].colorspace_settings.name}


def saved_blend() -> dict[str, Any]:
    blend = os.path.join(ARGS["work_dir"], "scene.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    make_image("saved.png", red_over_blue(8, 8))
    bpy.ops.texforge.upscale_image(image_name="saved.png", synchronous=True)
    result = bpy.data.images["saved_x2"]
    path = bpy.path.abspath(result.filepath_raw)
    return {"filepath": result.filepath_raw, "exists": os.path.isfile(path), "packed": result.packed_file is not None}


def laplacian_energy(rgba: np.ndarray) -> float:
    luma = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    return float(np.mean((4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2] - luma[1:-1, 2:]) ** 2))


def detail_slider() -> dict[str, Any]:
    """The Detail slider with the shipped fast-x4 and its sharp partner: 0 is faithful, 1 sharper."""
    rng = np.random.default_rng(4)
    rows = np.ones((24, 24, 4), np.float32)
    rows[..., :3] = np.kron(rng.random((6, 6, 1)), np.ones((4, 4, 1))) * 0.6 + rng.random((24, 24, 1)) * 0.3
    make_image("grain.png", rows)
    energies, outputs = {}, {}
    for label, detail in (("faithful", 0.0), ("sharp", 1.0)):
        bpy.ops.texforge.upscale_image(image_name="grain.png", scale="4", model="fast-x4", detail=detail,
                                       synchronous=True, replace_usages=False)
        result = bpy.data.images["grain_x4"]
        outputs[label] = top_down(result)
        energies[label] = laplacian_energy(outputs[label])
        result.name = f"grain_x4_{label}"
    default = bpy.ops.texforge.upscale_image.get_rna_type().properties["detail"].default
    return {"energies": energies, "difference": float(np.abs(outputs["sharp"] - outputs["faithful"]).mean()),
            "size": list(outputs["sharp"].shape[:2]), "default_detail": default}


def wheels_installed() -> dict[str, Any]:
    site = os.path.join(bpy.utils.user_resource("EXTENSIONS"), ".local", "lib",
                        f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    return {"entries": sorted(os.listdir(site)) if os.path.isdir(site) else []}


harness.run_scenarios({
    "env_override": env_override, "connection": connection, "srgb_byte": srgb_byte, "normal_map": normal_map,
    "float_alpha": float_alpha, "server_down": server_down, "background": background_upscale, "cancel": cancel,
    "batch": batch, "saved_blend": saved_blend, "wheels": wheels_installed, "detail_slider": detail_slider,
}, ARGS["result_path"])
