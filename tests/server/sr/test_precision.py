"""bf16 and int8 inference: chosen from the hardware or asked for, and close to fp32 on the shipped networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.device import autocast_dtype, cpu_has_native_bf16, resolve_precision
from texforge.server.sr.int8 import Int8FastSR
from texforge.server.sr.metrics import psnr_y
from texforge.server.weight_files import model_path, offered_files, shipped_upscalers


def photo_like_bricks(size: int = 256) -> np.ndarray:
    """Running-bond bricks with a 1/f surface texture, as a photo has it.

    Noise-free flat colour would measure the 8-bit rounding of near-perfect pixels instead: on the
    Urban100 validation photos bf16 and fp32 differ by under 0.006 dB.
    """
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    row = (y // 24).astype(int)
    shifted = x + (row % 2) * 24
    mortar = ((y % 24) < 3) | ((shifted % 48) < 3)
    tone = rng.uniform(0.4, 0.8, (size // 24 + 1, size // 48 + 3))
    frequencies = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size))) + 1.0 / size
    grain = np.fft.ifft2(np.exp(2j * np.pi * rng.random((size, size))) / frequencies).real
    grain = 0.08 * grain / grain.std()
    image = (np.where(mortar, 0.9, tone[row, (shifted // 48).astype(int)]) + grain)[..., None] * np.array([1.0, 0.55, 0.4])
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def test_auto_precision_follows_the_hardware() -> None:
    assert resolve_precision("auto", "cpu") == ("bf16" if cpu_has_native_bf16() else "fp32")
    assert resolve_precision("fp32", "cpu") == "fp32" and autocast_dtype("fp32") is None
    assert autocast_dtype("bf16") is torch.bfloat16
    with pytest.raises(ValueError, match="CUDA"):
        resolve_precision("fp16", "cpu")
    assert resolve_precision("int8", "cpu") == "int8" and autocast_dtype("int8") is None
    with pytest.raises(ValueError, match="CPU"):
        resolve_precision("int8", "cuda:0")
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("int4", "cpu")


@pytest.mark.skipif(not offered_files(), reason="no shipped weights in this checkout")
@pytest.mark.parametrize("name", ["fast-x2", "fast-x4"])
def test_bf16_output_matches_fp32_within_two_hundredths_of_a_db(name: str) -> None:
    if not model_path(name).is_file():
        pytest.skip(f"{name} is not shipped")
    fp32, bf16 = (next(u for u in shipped_upscalers(precision=p) if u.descriptor.name == name) for p in ("fp32", "bf16"))
    scale = fp32.descriptor.scales[0]
    high = photo_like_bricks()
    low = np.asarray(Image.fromarray(high).resize((256 // scale, 256 // scale), Image.BICUBIC))
    request = UpscaleRequest.of(low, scale=scale)
    exact = psnr_y(fp32.upscale(request, JobContext()), high, scale)
    reduced = psnr_y(bf16.upscale(request, JobContext()), high, scale)
    assert abs(exact - reduced) <= 0.02, (exact, reduced)


SHIPPED_FAST_SR = ["fast-x2", "fast-x4", "lite-x2", "lite-x4"]


@pytest.mark.skipif(not offered_files(), reason="no shipped weights in this checkout")
@pytest.mark.parametrize("name", SHIPPED_FAST_SR)
def test_int8_runs_the_calibrated_shipped_networks_within_a_tenth_of_a_db(name: str) -> None:
    if not model_path(name).is_file():
        pytest.skip(f"{name} is not shipped")
    fp32, quantised = (next(u for u in shipped_upscalers(precision=p) if u.descriptor.name == name)
                       for p in ("fp32", "int8"))
    assert quantised.precision == "int8", "every shipped FastSR file (and its JPEG partner) carries int8 ranges"
    assert isinstance(quantised.network, Int8FastSR)
    scale = fp32.descriptor.scales[0]
    high = photo_like_bricks()
    low = np.asarray(Image.fromarray(high).resize((256 // scale, 256 // scale), Image.BICUBIC))
    exact = psnr_y(fp32.upscale(UpscaleRequest.of(low, scale=scale), JobContext()), high, scale)
    reduced = psnr_y(quantised.upscale(UpscaleRequest.of(low, scale=scale), JobContext()), high, scale)
    assert abs(exact - reduced) <= 0.1, (exact, reduced)
    # JPEG sources and the detail slider run int8 too, quantised from their blended fp32 weights
    for detail, jpeg_source in ((None, True), (0.5, False)):
        assert isinstance(quantised.network_for(quantised.variant_of(detail, jpeg_source)), Int8FastSR)
