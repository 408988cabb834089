"""What a texture is (colour, data, normal map) and how it should travel (no bpy)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .pixels import WireEncoding

NORMAL_NAME_PATTERN = re.compile(r"(^|[^a-z])(normal|nrm|nor|norm|nml)([^a-z]|$)", re.IGNORECASE)
"""Common normal-map names: `bricks_normal.png`, `wood_nrm`, `Metal_Nor_GL`."""

INTEGER_FILE_FORMATS = frozenset({"PNG", "TIFF", "TARGA", "BMP", "JPEG", "JPEG2000", "IRIS"})


class TextureRole(Enum):
    """How texforge treats an image's pixels."""

    COLOR = "color"
    DATA = "data"
    NORMAL = "normal"


@dataclass(frozen=True)
class TextureFacts:
    """What Blender tells about an image, gathered on the main thread."""

    name: str
    is_data: bool
    """The colour space is non-colour (e.g. 'Non-Color')."""
    is_float: bool
    """Blender keeps the pixels in a float buffer (EXR, 16-bit PNG, ...)."""
    file_format: str
    feeds_normal_map: bool
    """Linked into a Normal Map node somewhere."""
    has_alpha: bool
    """Any pixel is not fully opaque."""
    pixels_look_like_normals: bool


def texture_role(facts: TextureFacts) -> TextureRole:
    """Normal maps by usage first, then by name or look if the image is data; else colour or data."""
    if facts.feeds_normal_map:
        return TextureRole.NORMAL
    if facts.is_data and (NORMAL_NAME_PATTERN.search(facts.name) or facts.pixels_look_like_normals):
        return TextureRole.NORMAL
    return TextureRole.DATA if facts.is_data else TextureRole.COLOR


def wire_encoding(facts: TextureFacts, role: TextureRole) -> WireEncoding:
    """Byte images travel as uint8, 16-bit integer files as uint16 (data only), float as float32."""
    channels = 4 if facts.has_alpha and role is not TextureRole.NORMAL else 3
    if not facts.is_float:
        return WireEncoding("uint8", "srgb" if role is TextureRole.COLOR else "data", channels)
    if role is not TextureRole.COLOR:
        dtype = "uint16" if facts.file_format in INTEGER_FILE_FORMATS else "float32"
        return WireEncoding(dtype, "data", channels)
    return WireEncoding("float32", "linear", channels)


def upscaled_name(name: str, scale: int) -> str:
    """`bricks.png` -> `bricks_x2`: the new image's name, without a file extension."""
    stem = re.sub(r"\.(png|jpe?g|tiff?|exr|tga|bmp|hdr|webp)$", "", name, flags=re.IGNORECASE)
    return f"{stem}_x{scale}"
