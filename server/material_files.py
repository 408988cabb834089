"""Write a material's maps as files: colour maps 8-bit sRGB, data maps 16-bit, plus material.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .contract import MATERIAL_MAP_COLORSPACES, MATERIAL_MAPS
from .imageio import write_image

COLOR_MAPS = frozenset(name for name, colorspace in MATERIAL_MAP_COLORSPACES.items() if colorspace == "srgb")
"""Maps written as 8-bit sRGB; the others are data, written 16-bit."""

NORMAL_CONVENTIONS: dict[str, str] = {
    "opengl": "tangent space, OpenGL (+Y up: Blender, Godot, Unity), encoded (n + 1) / 2, 16-bit",
    "directx": "tangent space, DirectX (-Y, green flipped: Unreal, Substance's default), encoded (n + 1) / 2, 16-bit",
}

CONVENTIONS = {
    "albedo": "sRGB-encoded diffuse albedo, 8-bit",
    "specular": "sRGB-encoded specular albedo (F0), 8-bit",
    "normal": NORMAL_CONVENTIONS["opengl"],
    "glossiness": "linear, 16-bit, glossiness = 1 - roughness",
    "roughness": "linear perceptual roughness (GGX alpha = roughness^2), 16-bit",
}


def to_normal_convention(normal: np.ndarray, convention: str) -> np.ndarray:
    """An encoded OpenGL normal map (what the server returns) in `convention`."""
    if convention not in NORMAL_CONVENTIONS:
        raise ValueError(f"unknown normal convention {convention!r}; expected one of {sorted(NORMAL_CONVENTIONS)}")
    if convention == "opengl":
        return normal
    flipped = np.array(normal, dtype=np.float32, copy=True)
    flipped[..., 1] = 1.0 - flipped[..., 1]
    return flipped


def quantise(values: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
    """Float [0, 1] -> unsigned integer with rounding and clamping."""
    top = np.iinfo(dtype).max
    return np.clip(np.rint(np.asarray(values, dtype=np.float32) * top), 0, top).astype(dtype)


def write_material(outdir: Path, maps: dict[str, np.ndarray], info: dict[str, Any],
                   normal_convention: str = "opengl") -> list[Path]:
    """Write each map as `<name>.png` and `material.json`; return the written paths."""
    missing = [name for name in MATERIAL_MAPS if name not in maps]
    if missing:
        raise ValueError(f"material result lacks maps {missing}")
    maps = {**maps, "normal": to_normal_convention(maps["normal"], normal_convention)}
    written = []
    for name in MATERIAL_MAPS:
        path = outdir / f"{name}.png"
        write_image(path, quantise(maps[name], np.uint8 if name in COLOR_MAPS else np.uint16))
        written.append(path)
    conventions = {**CONVENTIONS, "normal": NORMAL_CONVENTIONS[normal_convention]}
    document = {**info, "maps": {name: f"{name}.png" for name in MATERIAL_MAPS}, "conventions": conventions}
    (outdir / "material.json").write_text(json.dumps(document, indent=2))
    return written
