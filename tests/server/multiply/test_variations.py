"""Material mode keeps maps aligned with the image; make-seamless changes only the border band."""

from __future__ import annotations

import numpy as np

from texforge.server.multiply import metrics
from texforge.server.multiply.textures import TextureSet
from texforge.server.multiply.variations import make_seamless, seamless_band, variation

from .conftest import procedural_material, ramp


def material_set(size: tuple[int, int] = (48, 48), seed: int = 0) -> TextureSet:
    maps = procedural_material(size, seed)
    return TextureSet(maps.pop("albedo"), maps)


def test_material_maps_follow_the_image_exactly() -> None:
    textures = material_set()
    made = variation(textures, (80, 64), tileable=True, seed=5)
    height = made.maps["height"][..., 0] / 65535.0
    expected = np.round(ramp(height) * 255)
    assert np.abs(made.image.astype(float) - expected).max() <= 1  # albedo_out = ramp(height_out): one source pixel
    assert np.allclose(made.maps["roughness"][..., 0], 1 - height, atol=1e-6)
    normal = made.maps["normal"].astype(float) / 255 * 2 - 1
    assert np.abs(np.linalg.norm(normal, axis=-1) - 1).max() < 0.02  # unit length up to 8-bit rounding
    assert [array.dtype for array in made.maps.values()] == [np.uint16, np.uint8, np.float32]


def test_maps_steer_the_synthesis_but_do_not_change_the_image_alone() -> None:
    textures = material_set()
    alone = variation(TextureSet(textures.image), (64, 64), tileable=True, seed=2).image
    again = variation(TextureSet(textures.image), (64, 64), tileable=True, seed=2).image
    assert np.array_equal(alone, again)


def test_make_seamless_keeps_the_photo_away_from_its_edges_and_tiles() -> None:
    textures = material_set((64, 56), seed=3)
    made = make_seamless(textures, border=0.25)  # a tiny photo needs a wide band to hide its seam in
    keep = seamless_band((64, 56), 0.25).numpy()
    assert np.array_equal(made.image[keep], textures.image[keep])
    assert np.array_equal(made.maps["height"][keep], textures.maps["height"][keep])
    assert metrics.seam_ratio(textures.image) > 2.0
    assert metrics.seam_ratio(made.image) < 1.3
    height = made.maps["height"][..., 0] / 65535.0
    assert np.abs(made.image.astype(float) - np.round(ramp(height) * 255)).max() <= 1
