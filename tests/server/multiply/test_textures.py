"""Every map keeps its dtype, channels and values; the guide is standardised and bounded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from texforge.server.multiply.textures import MAX_GUIDE_CHANNELS, TextureSet, guide_of
from texforge.server.multiply.variations import variation

from .conftest import smooth_noise


def exemplar(dtype: type, channels: int, scale: float = 1.0) -> np.ndarray:
    field = smooth_noise((32, 40), seed=channels)
    stack = np.stack([np.roll(field, 7 * c, axis=1) for c in range(channels)], axis=-1) * scale
    if np.dtype(dtype).kind == "u":
        return np.round(stack * np.iinfo(dtype).max).astype(dtype)
    return stack.astype(dtype)


@pytest.mark.parametrize("dtype,channels,scale", [(np.uint8, 4, 1.0), (np.uint16, 1, 1.0), (np.uint8, 2, 1.0),
                                                  (np.float16, 3, 1.0), (np.float32, 3, 50.0)])
def test_outputs_keep_dtype_channels_and_copy_exemplar_pixels(dtype: type, channels: int, scale: float) -> None:
    image = exemplar(dtype, channels, scale)
    made = variation(TextureSet(image), (56, 44), tileable=True, seed=0).image
    assert made.dtype == image.dtype and made.shape == (44, 56, channels)
    known = {pixel.tobytes() for pixel in image.reshape(-1, channels)}
    assert all(pixel.tobytes() in known for pixel in made.reshape(-1, channels))  # alpha and HDR values included


def test_maps_must_share_the_image_size() -> None:
    with pytest.raises(ValueError, match="map 'height' is 8x8"):
        TextureSet(np.zeros((16, 16, 3), np.uint8), {"height": np.zeros((8, 8, 1), np.uint16)})


def test_the_guide_weighs_each_block_and_stays_within_its_channel_budget() -> None:
    image = exemplar(np.uint8, 3)
    maps = {"normal": exemplar(np.uint8, 3), "height": exemplar(np.uint16, 1), "roughness": exemplar(np.float32, 1)}
    small = guide_of(TextureSet(image))
    assert small.shape == (3, 32, 40) and torch.allclose(small.mean(dim=(1, 2)), torch.zeros(3), atol=1e-5)
    assert float(small.square().mean(dim=0).mean()) == pytest.approx(1.0, rel=1e-3)
    assert guide_of(TextureSet(image, maps)).shape[0] == MAX_GUIDE_CHANNELS
