"""Render material maps as Blender would show them: each ``NAME.npz`` in a folder -> ``NAME.png``.

Run with a Python that has bpy 5.0.1, on an extension zip built by ``packaging/build.py``:
    .venv-blender/bin/python packaging/render_materials.py EXTENSION_ZIP MAPS_DIR OUT_DIR [--size 192] [--samples 32]
Each ``.npz`` holds the maps as the server returns them (float32 H x W x C: albedo, specular,
normal, glossiness, roughness). The extension is installed into a throw-away Blender user
folder; its own material code (plan, specular conversion, images, nodes) wires the maps into
a Principled BSDF on a flat square, lit by one small light 40 degrees off the camera axis and a
dim sky, rendered with Cycles on the CPU. Used by ``bench/material_contact_sheet.py``.
"""

from __future__ import annotations

import argparse
import logging
import math
import shutil
import sys
from pathlib import Path

import numpy as np

# bpy through render_preview, which points Blender at throw-away folders before bpy starts
from render_preview import SCRATCH, bpy, install_extension, render

log = logging.getLogger("texforge.render_materials")


def stage_plane() -> bpy.types.Object:
    """A 2 x 2 square facing an orthographic camera, one off-axis light, a dim sky."""
    bpy.ops.mesh.primitive_plane_add(size=2.0)
    plane = bpy.context.active_object
    bpy.ops.object.camera_add(location=(0, 0, 4))
    camera = bpy.context.active_object
    camera.data.type, camera.data.ortho_scale = "ORTHO", 2.0
    bpy.context.scene.camera = camera
    angle = math.radians(40)
    bpy.ops.object.light_add(type="POINT", location=(2.5 * math.sin(angle), 0.8, 2.5 * math.cos(angle)))
    light = bpy.context.active_object
    light.data.energy, light.data.shadow_soft_size = 120.0, 0.1
    world = bpy.data.worlds.new("sheet")
    world.color = (0.03, 0.03, 0.035)
    bpy.context.scene.world = world
    bpy.context.view_layer.objects.active = plane
    return plane


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path, help="the extension, built by packaging/build.py")
    parser.add_argument("maps", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--samples", type=int, default=32)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    addon = install_extension(args.zip)
    plane = stage_plane()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.maps.glob("*.npz")):
        with np.load(path) as stored:
            maps = {name: stored[name] for name in stored.files}
        order = addon.material.MaterialOrder(path.stem, addon.protocol.MaterialArgs(), plane.name)
        log.info("%s: %s", path.stem, addon.material.apply_material_maps(order, maps))
        render(args.out / f"{path.stem}.png", args.size, args.samples)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
