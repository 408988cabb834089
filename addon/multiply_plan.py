"""Texture Multiplier in Blender, the pure part (no bpy): which of a material's images travel as
which map, and what the results are called."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .protocol.maps import TEXTURE_MAP_COLORSPACES

SOCKET_MAPS: dict[str, str | None] = {
    "Base Color": None,
    "Color": None,
    "Normal": "normal",
    "Roughness": "roughness",
    "Metallic": "metallic",
    "Specular IOR Level": "specular",
    "Specular": "specular",
    "Specular Tint": "specular",
    "Alpha": "opacity",
    "Emission Color": "emission",
    "Emission": "emission",
    "Height": "height",
    "Displacement": "displacement",
}
"""Shader socket an image ends up in -> its map name (None: the image itself, the exemplar)."""

_FILE_SUFFIX = re.compile(r"\.(png|jpe?g|tiff?|exr|tga|bmp|hdr|webp)$", re.IGNORECASE)


@dataclass(frozen=True)
class MaterialTexture:
    """One Image Texture node of a material and the socket its colour reaches."""

    image_name: str
    socket: str
    """Name of the shader input it feeds (through Normal Map, Bump, Displacement nodes and reroutes)."""
    size: tuple[int, int]


@dataclass(frozen=True)
class MultiplyPlan:
    """The images of one material multiply request."""

    exemplar: str
    """Image sent as `image` (the base colour)."""
    maps: dict[str, str]
    """Map name -> image name, sent as `map:NAME` and synthesised aligned with the exemplar."""
    ignored: tuple[str, ...] = ()
    """Images feeding no socket the server knows (left as they are in the copies)."""


def plan_material(textures: list[MaterialTexture], max_images: int) -> MultiplyPlan:
    """The request for a material's textures; ValueError (a message for the user) when it cannot be made."""
    exemplars = [texture for texture in textures if SOCKET_MAPS.get(texture.socket, "") is None]
    if not exemplars:
        raise ValueError("the material has no image in Base Color: the Texture Multiplier needs one to follow")
    exemplar = exemplars[0]
    maps: dict[str, str] = {}
    ignored = []
    for texture in textures:
        name = SOCKET_MAPS.get(texture.socket, "")
        if texture.image_name == exemplar.image_name or name is None:
            continue
        if not name or name not in TEXTURE_MAP_COLORSPACES or name in maps:
            ignored.append(texture.image_name)
            continue
        if texture.size != exemplar.size:
            raise ValueError(f"{texture.image_name} is {texture.size[0]}x{texture.size[1]} but the base colour "
                             f"{exemplar.image_name} is {exemplar.size[0]}x{exemplar.size[1]}: all maps must match")
        maps[name] = texture.image_name
    if 1 + len(maps) > max_images:
        raise ValueError(f"the server takes {max_images} images per request; this material has {1 + len(maps)}")
    return MultiplyPlan(exemplar.image_name, maps, tuple(ignored))


def stem(name: str) -> str:
    """An image name without its file suffix: `bricks.png` -> `bricks`."""
    return _FILE_SUFFIX.sub("", name)


def variation_name(name: str, index: int) -> str:
    """Name of variation `index` (from 1) of an image or material: `bricks.png` -> `bricks_var1`."""
    return f"{stem(name)}_var{index}"


def seamless_name(name: str) -> str:
    """Name of an image made seamless: `bricks.png` -> `bricks_seamless`."""
    return f"{stem(name)}_seamless"
