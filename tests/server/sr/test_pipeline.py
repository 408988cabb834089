from __future__ import annotations

import numpy as np
import pytest
import torch

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr.pipeline import bleed_colour, check_request, value_mapping_for
from texforge.server.sr.upscaler import BicubicUpscaler, NeuralUpscaler

from .conftest import tiny_fastsr


def upscale(request: UpscaleRequest, neural: bool = False) -> np.ndarray:
    upscaler = NeuralUpscaler("tiny", tiny_fastsr(request.args.scale)) if neural else BicubicUpscaler()
    return upscaler.upscale(request, JobContext())


def sprite(size: int = 32) -> np.ndarray:
    """Opaque light-red disc on fully transparent black: the classic dark-halo trap."""
    yy, xx = np.mgrid[:size, :size]
    inside = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2
    image = np.zeros((size, size, 4), np.uint8)
    image[inside] = (230, 120, 120, 255)
    return image


@pytest.mark.parametrize("neural", [False, True])
def test_alpha_edges_have_no_halo(neural: bool) -> None:
    output = upscale(UpscaleRequest.of(sprite(), scale=4), neural)
    assert output.shape == (128, 128, 4) and output.dtype == np.uint8
    visible = output[..., 3] > 8
    colours = output[visible][:, :3].astype(int)
    # Every visible pixel keeps the sprite's colour: no black fringe, no bright ringing.
    assert np.abs(colours - (230, 120, 120)).max() <= 12
    assert 0 < visible.mean() < 1


def test_bleed_fills_only_transparent_pixels() -> None:
    colour = torch.zeros(3, 8, 8)
    colour[:, :, :4] = torch.tensor([0.2, 0.4, 0.6]).view(3, 1, 1)
    alpha = torch.zeros(1, 8, 8)
    alpha[:, :, :4] = 1.0
    bled = bleed_colour(colour, alpha)
    torch.testing.assert_close(bled, torch.tensor([0.2, 0.4, 0.6]).view(3, 1, 1).expand(3, 8, 8))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float16, np.float32])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_dtype_and_channels_round_trip(dtype: type, channels: int, rng: np.random.Generator) -> None:
    values = rng.random((12, 10, channels))
    image = (values * np.iinfo(dtype).max).astype(dtype) if np.dtype(dtype).kind == "u" else values.astype(dtype)
    output = upscale(UpscaleRequest.of(image, scale=2))
    assert output.dtype == dtype and output.shape == (24, 20, channels)


def test_two_dimensional_gray_stays_two_dimensional(rng: np.random.Generator) -> None:
    output = upscale(UpscaleRequest.of((rng.random((9, 7)) * 255).astype(np.uint8), scale=2))
    assert output.shape == (18, 14)


def test_uint16_keeps_precision() -> None:
    ramp = np.linspace(1000, 1100, 64 * 64).reshape(64, 64, 1).astype(np.uint16)
    output = upscale(UpscaleRequest.of(np.repeat(ramp, 3, axis=2), scale=2))
    # An 8-bit round trip would quantise this 100-level ramp to a handful of values.
    assert len(np.unique(output)) > 90


def test_float_hdr_values_survive() -> None:
    image = np.full((16, 16, 3), 0.25, np.float32)
    image[4:12, 4:12] = 12.0
    output = upscale(UpscaleRequest.of(image, scale=2), neural=True)
    assert output.dtype == np.float32
    assert output.max() > 8.0 and abs(float(output[0, 0, 0]) - 0.25) < 0.05


def test_signed_float_data_round_trips() -> None:
    image = np.linspace(-2, 3, 8 * 8 * 3, dtype=np.float32).reshape(8, 8, 3)
    output = upscale(UpscaleRequest.of(image, scale=2))
    assert -2.2 <= output.min() < -1.5 and 2.5 < output.max() <= 3.2
    assert value_mapping_for(image).kind == "affine"


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_normal_maps_stay_unit_length(dtype: type, rng: np.random.Generator) -> None:
    vectors = rng.normal(size=(16, 16, 3)) * (0.5, 0.5, 0.2) + (0, 0, 1)
    vectors /= np.linalg.norm(vectors, axis=2, keepdims=True)
    encoded = (vectors + 1) / 2
    image = encoded.astype(dtype) if dtype == np.float32 else (encoded * np.iinfo(dtype).max).round().astype(dtype)
    output = upscale(UpscaleRequest.of(image, scale=4, normal_map=True), neural=True)
    scale = 1.0 if dtype == np.float32 else np.iinfo(dtype).max
    decoded = output.astype(np.float64) / scale * 2 - 1
    tolerance = 0.02 if dtype == np.uint8 else 1e-3
    assert np.abs(np.linalg.norm(decoded, axis=2) - 1).max() < tolerance


def test_signed_float_normals_stay_signed_and_unit(rng: np.random.Generator) -> None:
    vectors = rng.normal(size=(8, 8, 3)) + (0, 0, 2)
    vectors = (vectors / np.linalg.norm(vectors, axis=2, keepdims=True)).astype(np.float32)
    output = upscale(UpscaleRequest.of(vectors, scale=2, normal_map=True))
    np.testing.assert_allclose(np.linalg.norm(output, axis=2), 1.0, atol=1e-4)


@pytest.mark.parametrize("target", [(100, 60), (33, 47), (64, 40)])
def test_exact_target_size(target: tuple[int, int], rng: np.random.Generator) -> None:
    image = (rng.random((20, 32, 4)) * 255).astype(np.uint8)
    output = upscale(UpscaleRequest.of(image, scale=4, size=target, tileable=True), neural=True)
    assert output.shape == (target[1], target[0], 4)


@pytest.mark.parametrize("shape,dtype", [((4, 4, 5), np.uint8), ((4, 4, 3), np.int32), ((4,), np.uint8)])
def test_bad_images_are_rejected(shape: tuple[int, ...], dtype: type) -> None:
    with pytest.raises(ValueError):
        check_request(UpscaleRequest.of(np.zeros(shape, dtype), scale=2))


def test_neural_model_rejects_other_scales() -> None:
    upscaler = NeuralUpscaler("tiny", tiny_fastsr(4))
    with pytest.raises(ValueError, match="x4"):
        upscaler.upscale(UpscaleRequest.of(np.zeros((4, 4, 3), np.uint8), scale=2), JobContext())


def test_flat_colour_has_no_fringe_at_the_image_border() -> None:
    # A network sees the same mirrored context at the border as inside, so a flat input gives the
    # same (scale-periodic) output everywhere; clipped context exposes its zero padding instead.
    image = np.zeros((24, 20, 3), np.float32)
    image[:] = (0.1, 0.9, 0.2)
    output = upscale(UpscaleRequest.of(image, scale=2), neural=True)
    interior = output[10:12, 10:12]
    tiled = np.tile(interior, (24, 20, 1))
    assert np.abs(output - tiled).max() < 1e-5
