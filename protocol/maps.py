"""The texture maps a `multiply` or `seamless` request may carry beside its `image`.

A map travels as an image named `map:NAME`; the server synthesises it with the same source
coordinates as the image, so a material's maps stay aligned. Results name it
`variation_K_NAME` (multiply) or `map:NAME` again (seamless).
"""

from __future__ import annotations

MAP_PREFIX = "map:"
"""Prefix of a map's image name on the wire."""

TEXTURE_MAP_COLORSPACES: dict[str, str] = {
    "albedo": "srgb",
    "specular": "srgb",
    "emission": "srgb",
    "normal": "data",
    "height": "data",
    "displacement": "data",
    "roughness": "data",
    "glossiness": "data",
    "metallic": "data",
    "ao": "data",
    "opacity": "data",
    "mask": "data",
}
"""Every map name a server accepts, with the colour space a client sends it in by default."""

NORMAL_MAPS = frozenset({"normal"})
"""Maps holding unit vectors (tangent space, encoded (n + 1) / 2 unless float with negative values)."""


def map_image_name(name: str) -> str:
    """The wire image name of map `name` (ValueError for a name the protocol does not know)."""
    if name not in TEXTURE_MAP_COLORSPACES:
        raise ValueError(f"unknown texture map {name!r}; known maps: {', '.join(TEXTURE_MAP_COLORSPACES)}")
    return MAP_PREFIX + name


def map_name_of(image_name: str) -> str | None:
    """NAME for an image called `map:NAME`, else None (the name itself is not checked)."""
    return image_name[len(MAP_PREFIX):] if image_name.startswith(MAP_PREFIX) else None


def variation_image_name(index: int, name: str | None = None) -> str:
    """`variation_K` (the image) or `variation_K_NAME` (map NAME) of variation K, counted from 1."""
    return f"variation_{index}" if name is None else f"variation_{index}_{name}"
