"""The bicubic baseline: dtypes, tileable wrap, normal maps."""

from __future__ import annotations

import numpy as np
import pytest

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr.upscaler import BicubicUpscaler


def run(image: np.ndarray, **options) -> np.ndarray:
    return BicubicUpscaler().upscale(UpscaleRequest.of(image, **{"scale": 2, **options}), JobContext())


def periodic_noise(rng: np.random.Generator, size: int, channels: int = 3) -> np.ndarray:
    """Band-limited noise that tiles exactly (low-pass in the Fourier domain)."""
    spectrum = np.fft.fft2(rng.normal(size=(size, size, channels)), axes=(0, 1))
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij"))
    field = np.real(np.fft.ifft2(spectrum * (frequency < 0.12)[:, :, None], axes=(0, 1)))
    field = (field - field.min()) / (field.max() - field.min())
    return (field * 255).astype(np.uint8)


def test_tileable_output_wraps_seamlessly(rng: np.random.Generator) -> None:
    image = periodic_noise(rng, 48)
    out = run(image, tileable=True).astype(float)
    seam = np.abs(out[:, -1] - out[:, 0]).mean()
    inside = np.abs(np.diff(out, axis=1)).mean()
    assert seam <= 1.2 * inside
    plain = run(image).astype(float)
    assert np.abs(plain[:, -1] - plain[:, 0]).mean() > seam


def test_normal_map_mode_gives_unit_vectors(rng: np.random.Generator) -> None:
    vectors = rng.normal(size=(16, 16, 3)) * [0.4, 0.4, 0.2] + [0, 0, 1]
    vectors /= np.linalg.norm(vectors, axis=2, keepdims=True)
    encoded = ((vectors + 1) / 2 * 65535).astype(np.uint16)
    out = run(encoded, normal_map=True).astype(float) / 65535 * 2 - 1
    assert np.allclose(np.linalg.norm(out, axis=2), 1.0, atol=2e-3)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float16, np.float32])
def test_constant_images_stay_constant_in_every_dtype(dtype: type) -> None:
    value = 0.5 if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).max // 2
    out = run(np.full((6, 5, 2), value, dtype))
    assert out.dtype == dtype and out.shape == (12, 10, 2)
    assert np.allclose(out.astype(float), float(value), atol=1e-3)


def test_hdr_float_values_are_not_clipped() -> None:
    out = run(np.full((4, 4, 3), 7.5, np.float32))
    assert np.allclose(out, 7.5, atol=1e-4)
