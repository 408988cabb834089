"""Write a material's maps as files: colour maps 8-bit sRGB, data maps 16-bit, plus material.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .imageio import write_image
from .registry import MATERIAL_MAPS

COLOR_MAPS = frozenset({"albedo", "specular"})

CONVENTIONS = {
    "albedo": "sRGB-encoded diffuse albedo, 8-bit",
    "specular": "sRGB-encoded specular albedo (F0), 8-bit",
    "normal": "tangent space, OpenGL (+Y up, as Blender's Normal Map node), encoded (n + 1) / 2, 16-bit",
    "glossiness": "linear, 16-bit, glossiness = 1 - roughness",
    "roughness": "linear perceptual roughness (GGX alpha = roughness^2), 16-bit",
}


def quantise(values: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
    """Float [0, 1] -> unsigned integer with rounding and clamping."""
    top = np.iinfo(dtype).max
    return np.clip(np.rint(np.asarray(values, dtype=np.float32) * top), 0, top).astype(dtype)


def write_material(outdir: Path, maps: dict[str, np.ndarray], info: dict[str, Any]) -> list[Path]:
    """Write each map as `<name>.png` and `material.json`; return the written paths."""
    missing = [name for name in MATERIAL_MAPS if name not in maps]
    if missing:
        raise ValueError(f"material result lacks maps {missing}")
    written = []
    for name in MATERIAL_MAPS:
        path = outdir / f"{name}.png"
        write_image(path, quantise(maps[name], np.uint8 if name in COLOR_MAPS else np.uint16))
        written.append(path)
    document = {**info, "maps": {name: f"{name}.png" for name in MATERIAL_MAPS}, "conventions": CONVENTIONS}
    (outdir / "material.json").write_text(json.dumps(document, indent=2))
    return written
