"""Texture map names on the wire: `map:NAME` images in, `variation_K_NAME` images out."""

from __future__ import annotations

import pytest

from texforge.protocol.arguments import MAX_VARIATIONS
from texforge.protocol.constants import COLORSPACES, MAX_NAME_LENGTH
from texforge.protocol.maps import (
    MAP_PREFIX,
    NORMAL_MAPS,
    TEXTURE_MAP_COLORSPACES,
    map_image_name,
    map_name_of,
    variation_image_name,
)


def test_map_names_round_trip_and_unknown_names_are_refused() -> None:
    assert map_image_name("normal") == "map:normal"
    assert map_name_of("map:normal") == "normal" and map_name_of("image") is None
    with pytest.raises(ValueError, match="unknown texture map 'bump'"):
        map_image_name("bump")


def test_every_known_map_has_a_wire_colorspace_and_fits_the_name_limit() -> None:
    assert set(TEXTURE_MAP_COLORSPACES.values()) <= set(COLORSPACES)
    assert NORMAL_MAPS <= set(TEXTURE_MAP_COLORSPACES)
    longest = max(TEXTURE_MAP_COLORSPACES, key=len)
    assert len(MAP_PREFIX + longest) <= MAX_NAME_LENGTH
    assert len(variation_image_name(MAX_VARIATIONS, longest)) <= MAX_NAME_LENGTH


def test_variation_names_count_from_one() -> None:
    assert variation_image_name(1) == "variation_1"
    assert variation_image_name(3, "roughness") == "variation_3_roughness"
