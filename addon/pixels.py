"""Pixel conversions between Blender's image buffers and wire arrays (numpy only, no bpy).

Blender hands out RGBA float32 rows bottom to top; float buffers hold premultiplied, linear
values and byte buffers hold straight values in the image's own encoding. The wire wants rows
top to bottom, straight alpha, and the smallest dtype that loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WIRE_DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "float32": np.float32}


@dataclass(frozen=True)
class WireEncoding:
    """How an image travels to the server."""

    dtype: str
    """`uint8`, `uint16` or `float32`."""
    colorspace: str
    """`srgb`, `linear` or `data`."""
    channels: int
    """3 (RGB) or 4 (RGBA)."""


def flat_to_rows(flat: np.ndarray, width: int, height: int) -> np.ndarray:
    """Blender's flat bottom-up RGBA buffer -> (height, width, 4), row 0 at the top."""
    return np.flipud(flat.reshape(height, width, 4))


def rows_to_flat(rgba: np.ndarray) -> np.ndarray:
    """(height, width, 4) top-down RGBA -> Blender's flat bottom-up float32 buffer."""
    return np.ascontiguousarray(np.flipud(rgba), dtype=np.float32).reshape(-1)


def unpremultiply(rgba: np.ndarray) -> np.ndarray:
    """Straight alpha from premultiplied: colour / alpha where alpha > 0."""
    alpha = rgba[..., 3:4]
    colour = np.divide(rgba[..., :3], alpha, out=np.zeros_like(rgba[..., :3]), where=alpha > 0)
    return np.concatenate([colour, alpha], axis=-1)


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """Premultiplied alpha from straight: colour * alpha."""
    return np.concatenate([rgba[..., :3] * rgba[..., 3:4], rgba[..., 3:4]], axis=-1)


def has_meaningful_alpha(rgba: np.ndarray) -> bool:
    """True when any pixel is not fully opaque."""
    return bool(np.any(rgba[..., 3] < 1.0))


def encode_for_wire(rgba: np.ndarray, encoding: WireEncoding) -> np.ndarray:
    """Straight RGBA float32 -> the wire array: `encoding.channels` channels of `encoding.dtype`."""
    pixels = np.ascontiguousarray(rgba[..., : encoding.channels])
    if encoding.dtype == "float32":
        return pixels.astype(np.float32, copy=False)
    top = float(np.iinfo(WIRE_DTYPES[encoding.dtype]).max)
    return np.clip(np.rint(pixels * top), 0, top).astype(WIRE_DTYPES[encoding.dtype])


def decode_from_wire(array: np.ndarray) -> np.ndarray:
    """A wire image (H x W x C, any wire dtype) -> straight RGBA float32, opaque when C < 4."""
    if array.ndim == 2:
        array = array[..., None]
    return to_rgba(to_unit_float(array))


def to_unit_float(array: np.ndarray) -> np.ndarray:
    """Pixels as float32: integers scaled by their type's maximum to [0, 1], floats as they are."""
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float32) / float(np.iinfo(array.dtype).max)
    return array.astype(np.float32)


def to_rgba(values: np.ndarray) -> np.ndarray:
    """H x W x C float (C in 1..4, or H x W) -> H x W x 4: gray spreads to RGB, alpha defaults to 1."""
    if values.ndim == 2:
        values = values[..., None]
    height, width, channels = values.shape
    rgba = np.ones((height, width, 4), dtype=np.float32)
    if channels in (1, 2):
        rgba[..., :3] = values[..., :1]
        if channels == 2:
            rgba[..., 3] = values[..., 1]
    else:
        rgba[..., :3] = values[..., :3]
        if channels == 4:
            rgba[..., 3] = values[..., 3]
    return rgba


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded [0, 1] -> linear (IEC 61966-2-1)."""
    values = np.clip(values, 0.0, 1.0)
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4).astype(np.float32)


def photos_for_wire(flash: np.ndarray, guide: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Flash and guide photos in one encoding, and whether it is linear light (the protocol's
    `linear_photo`, which covers both): byte photos travel as they are (sRGB); once either photo
    holds floats (an EXR, a render), both travel as linear float32, unclipped and unrounded."""
    if not any(_is_float(photo) for photo in (flash, guide) if photo is not None):
        return flash, guide, False
    return _linear_light(flash), (None if guide is None else _linear_light(guide)), True


def _is_float(photo: np.ndarray) -> bool:
    return bool(np.issubdtype(photo.dtype, np.floating))


def _linear_light(photo: np.ndarray) -> np.ndarray:
    """A float photo as it is (linear), a byte photo decoded from sRGB; float32 either way."""
    if _is_float(photo):
        return np.ascontiguousarray(photo, dtype=np.float32)
    return srgb_to_linear(to_unit_float(photo))


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear [0, 1] -> sRGB-encoded (IEC 61966-2-1)."""
    values = np.clip(values, 0.0, 1.0)
    return np.where(values <= 0.0031308, values * 12.92, 1.055 * values ** (1 / 2.4) - 0.055).astype(np.float32)


def looks_like_normal_map(rgb: np.ndarray) -> bool:
    """Tangent-space normal maps are bluish: decoded vectors near unit length, pointing up (+Z)."""
    vectors = rgb[..., :3].astype(np.float32) * 2.0 - 1.0
    lengths = np.linalg.norm(vectors, axis=-1)
    return bool(np.median(vectors[..., 2]) > 0.5 and np.median(np.abs(lengths - 1.0)) < 0.1)
