"""Write a material's maps as files plus material.json: PNG (colour maps 8-bit sRGB, data maps
16-bit) or float32 EXR. Nothing in the output folder changes until every file is complete."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from .contract import MATERIAL_MAP_COLORSPACES, MATERIAL_MAPS
from .imageio import atomic_output, encode_image

COLOR_MAPS = frozenset(name for name, colorspace in MATERIAL_MAP_COLORSPACES.items() if colorspace == "srgb")
"""Maps holding sRGB-encoded values (8-bit in PNG); the others are data (16-bit in PNG)."""

FILE_FORMATS = ("png", "exr")
"""File formats `write_material` writes the maps in."""

DESCRIPTION_FILE = "material.json"
"""The description written next to the maps: model, timings, file names and conventions."""

NORMAL_CONVENTIONS: dict[str, str] = {
    "opengl": "tangent space, OpenGL (+Y up: Blender, Godot, Unity), encoded (n + 1) / 2",
    "directx": "tangent space, DirectX (-Y, green flipped: Unreal, Substance's default), encoded (n + 1) / 2",
}

MAP_MEANINGS = {
    "albedo": "sRGB-encoded diffuse albedo",
    "specular": "sRGB-encoded specular albedo (F0)",
    "normal": NORMAL_CONVENTIONS["opengl"],
    "glossiness": "linear, glossiness = 1 - roughness",
    "roughness": "linear perceptual roughness (GGX alpha = roughness^2)",
}
"""What each map holds, whatever the file format."""

_EXR_COLOR_STORAGE = "float32 EXR holding the sRGB-encoded values in [0, 1]: not linear, load it as sRGB"


def map_file_name(name: str, file_format: str = "png") -> str:
    """The file name of map `name` in a material folder: `<name>.<png|exr>`."""
    if file_format not in FILE_FORMATS:
        raise ValueError(f"unknown material file format {file_format!r}; expected one of {list(FILE_FORMATS)}")
    return f"{name}.{file_format}"


def conventions(normal_convention: str = "opengl", file_format: str = "png") -> dict[str, str]:
    """material.json's `conventions`: what each map holds and how its file stores it."""
    meanings = {**MAP_MEANINGS, "normal": NORMAL_CONVENTIONS[normal_convention]}
    return {name: f"{meaning}, {_storage(name, file_format)}" for name, meaning in meanings.items()}


def _storage(name: str, file_format: str) -> str:
    if file_format == "exr":
        return _EXR_COLOR_STORAGE if name in COLOR_MAPS else "float32 EXR"
    return "8-bit" if name in COLOR_MAPS else "16-bit"


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
                   normal_convention: str = "opengl", file_format: str = "png") -> list[Path]:
    """Write each map as `map_file_name(name, file_format)` and material.json; return the written paths.

    Every file goes to a temporary file first; all are renamed into place together once the last
    is complete, so a failure leaves the folder's existing files as they were.
    """
    missing = [name for name in MATERIAL_MAPS if name not in maps]
    if missing:
        raise ValueError(f"material result lacks maps {missing}")
    files = {name: map_file_name(name, file_format) for name in MATERIAL_MAPS}
    maps = {**maps, "normal": to_normal_convention(maps["normal"], normal_convention)}
    document = {**info, "maps": files, "conventions": conventions(normal_convention, file_format)}
    with ExitStack() as renames:
        for name, file_name in files.items():
            encode_image(renames.enter_context(atomic_output(outdir / file_name)), _stored(name, maps[name], file_format),
                         f".{file_format}")
        renames.enter_context(atomic_output(outdir / DESCRIPTION_FILE)).write(json.dumps(document, indent=2).encode())
    return [outdir / file_name for file_name in files.values()] + [outdir / DESCRIPTION_FILE]


def _stored(name: str, values: np.ndarray, file_format: str) -> np.ndarray:
    """A map as its file holds it: float32 for EXR; 8-bit colour or 16-bit data for PNG."""
    if file_format == "exr":
        return np.asarray(values, dtype=np.float32)
    return quantise(values, np.uint8 if name in COLOR_MAPS else np.uint16)
