from __future__ import annotations

import numpy as np
import pytest
import torch

from texforge.server.contract import JobContext, UpscaleRequest
from texforge.server.sr.interpolate import interpolate_state_dicts
from texforge.server.sr.upscaler import NeuralUpscaler

from .conftest import tiny_fastsr


def test_endpoints_and_midpoint() -> None:
    psnr, sharp = tiny_fastsr(2).network.state_dict(), tiny_fastsr(2).network.state_dict()
    for key in psnr:
        assert not torch.equal(psnr[key], sharp[key]) or not psnr[key].any()
    at_zero, at_one = interpolate_state_dicts(psnr, sharp, 0.0), interpolate_state_dicts(psnr, sharp, 1.0)
    middle = interpolate_state_dicts(psnr, sharp, 0.5)
    for key in psnr:
        assert torch.equal(at_zero[key], psnr[key]) and torch.equal(at_one[key], sharp[key])
        torch.testing.assert_close(middle[key], (psnr[key] + sharp[key]) / 2)


def test_mismatched_networks_are_rejected() -> None:
    with pytest.raises(ValueError):
        interpolate_state_dicts(tiny_fastsr(2).network.state_dict(), tiny_fastsr(2, blocks=2).network.state_dict(), 0.5)
    with pytest.raises(ValueError):
        interpolate_state_dicts({}, {}, 1.5)


def test_detail_slider_moves_between_partners(rng: np.random.Generator) -> None:
    psnr, sharp = tiny_fastsr(2), tiny_fastsr(2)
    upscaler = NeuralUpscaler("tiny", psnr, sharp=sharp)
    assert upscaler.descriptor.detail
    image = (rng.random((8, 8, 3)) * 255).astype(np.uint8)
    outputs = {d: upscaler.upscale(UpscaleRequest.of(image, scale=2, detail=d), JobContext()) for d in (0.0, 1.0, None)}
    sharp_only = NeuralUpscaler("s", sharp).upscale(UpscaleRequest.of(image, scale=2), JobContext())
    np.testing.assert_array_equal(outputs[1.0], sharp_only)
    np.testing.assert_array_equal(outputs[0.0], outputs[None])
    assert not np.array_equal(outputs[0.0], outputs[1.0])
