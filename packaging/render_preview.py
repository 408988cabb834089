"""Render docs/blender_material_preview.png: a sphere with a material built by the extension.

Build the extension first, then render with a Python that has bpy 5.0.1:
    .venv/bin/python packaging/build.py --platform linux-x64 --python 3.11 --output-dir dist --no-validate
    .venv-blender/bin/python packaging/render_preview.py dist/texforge-<version>.zip
It installs the extension into a throw-away Blender user folder,
feeds procedural tile maps (albedo, specular, normal, roughness, as the server returns them)
through the add-on's own material code (plan, specular conversion, images, nodes), and renders
with Cycles on the CPU.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "docs" / "blender_material_preview.png"
SCRATCH = Path(tempfile.mkdtemp(prefix="texforge-preview-"))
for variable, folder in (("BLENDER_USER_RESOURCES", "blender"), ("XDG_CONFIG_HOME", "config"),
                         ("XDG_CACHE_HOME", "cache")):
    os.environ[variable] = str(SCRATCH / folder)  # before bpy starts: never touch the real $HOME

import bpy  # noqa: E402
import numpy as np  # noqa: E402

log = logging.getLogger("texforge.preview")


def tile_maps(size: int = 512, tiles: int = 4) -> dict[str, np.ndarray]:
    """Glazed ceramic tiles with rough grout, as float32 maps in the server's conventions."""
    v, u = (np.mgrid[0:size, 0:size] + 0.5) / size * tiles
    edge = np.minimum(np.minimum(u % 1, 1 - u % 1), np.minimum(v % 1, 1 - v % 1))
    tile = np.clip((edge - 0.03) / 0.04, 0.0, 1.0)
    rng = np.random.default_rng(3)
    hue = rng.uniform(0.85, 1.15, (tiles, tiles))[v.astype(int) % tiles, u.astype(int) % tiles]
    albedo = (tile[..., None] * np.array([0.12, 0.36, 0.52]) * hue[..., None]
              + (1 - tile[..., None]) * np.array([0.55, 0.52, 0.48]))
    height = tile * 0.6 + 0.02 * rng.standard_normal((size, size))
    gy, gx = np.gradient(height * 6.0)
    normal = np.stack([-gx, gy, np.ones_like(gx)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    roughness = 0.12 * tile + 0.85 * (1 - tile)
    specular = np.where(tile[..., None] > 0.5, 0.05, 0.03) * np.ones(3)
    srgb = lambda linear: np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)  # noqa: E731
    return {"albedo": srgb(np.clip(albedo, 0, 1)).astype(np.float32),
            "specular": srgb(specular).astype(np.float32),
            "normal": ((normal + 1) / 2).astype(np.float32),
            "glossiness": (1 - roughness)[..., None].astype(np.float32),
            "roughness": roughness[..., None].astype(np.float32)}


def install_extension(zip_path: Path) -> object:
    """Install the built extension as a user would (Install from Disk) and import it."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default", enable_on_install=True)
    import importlib
    return importlib.import_module("bl_ext.user_default.texforge")


def stage_scene() -> bpy.types.Object:
    bpy.ops.mesh.primitive_uv_sphere_add(segments=96, ring_count=48)
    sphere = bpy.context.active_object
    bpy.ops.object.shade_smooth()
    bpy.ops.object.camera_add(location=(0, -3.4, 0.9), rotation=(1.32, 0, 0))
    bpy.context.scene.camera = bpy.context.active_object
    bpy.ops.object.light_add(type="AREA", location=(2.0, -2.0, 2.5))
    light = bpy.context.active_object
    light.data.energy, light.data.size = 350.0, 2.0
    light.rotation_euler = (0.8, 0.0, 0.75)
    world = bpy.data.worlds.new("preview")
    world.color = (0.05, 0.05, 0.06)
    bpy.context.scene.world = world
    bpy.context.view_layer.objects.active = sphere
    return sphere


def render(path: Path, size: int = 384, samples: int = 48) -> None:
    """Render the scene with Cycles on the CPU into a ``size`` x ``size`` PNG at ``path``."""
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit("usage: render_preview.py EXTENSION_ZIP (built by packaging/build.py)")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    addon = install_extension(Path(sys.argv[1]))
    sphere = stage_scene()
    order = addon.material.MaterialOrder("ceramic_tiles", addon.protocol.MaterialArgs(tileable=True), sphere.name)
    log.info("%s", addon.material.apply_material_maps(order, tile_maps()))
    sphere.active_material.node_tree.nodes["Mapping"].inputs["Scale"].default_value = (2.0, 1.0, 1.0)
    OUTPUT.parent.mkdir(exist_ok=True)
    render(OUTPUT)
    log.info("wrote %s", OUTPUT)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
