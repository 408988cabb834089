"""packaging/render_materials.py (the contact sheet's Cycles renders) renders maps through the installed extension."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .conftest import blender_python, requires_bpy

REPO = Path(__file__).resolve().parents[2]


def tile_maps(size: int = 32) -> dict[str, np.ndarray]:
    """A red and a blue half, rough and shiny, as the server returns maps (float32, sRGB colour maps)."""
    albedo = np.zeros((size, size, 3), np.float32)
    albedo[:, : size // 2] = (0.8, 0.1, 0.1)
    albedo[:, size // 2:] = (0.1, 0.1, 0.8)
    normal = np.zeros((size, size, 3), np.float32)
    normal[:] = (0.5, 0.5, 1.0)
    roughness = np.full((size, size, 1), 0.6, np.float32)
    return {"albedo": albedo, "specular": np.full((size, size, 3), 0.2232, np.float32), "normal": normal,
            "roughness": roughness, "glossiness": 1 - roughness}


@requires_bpy
def test_maps_are_rendered_with_cycles_through_the_extension(extension_zip: Path, tmp_path: Path) -> None:
    maps_dir, out_dir = tmp_path / "maps", tmp_path / "renders"
    maps_dir.mkdir()
    np.savez(maps_dir / "halves.npz", **tile_maps())
    completed = subprocess.run([str(blender_python()), str(REPO / "packaging" / "render_materials.py"), str(extension_zip),
                                str(maps_dir), str(out_dir), "--size", "32", "--samples", "4"],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    from PIL import Image

    render = np.asarray(Image.open(out_dir / "halves.png").convert("RGB"), dtype=np.float32)
    # the material's colours reach the render: red on the left, blue on the right
    left, right = render[:, :12].mean(axis=(0, 1)), render[:, 20:].mean(axis=(0, 1))
    assert left[0] > left[2] and right[2] > right[0]
