"""The shipped fast-x4 and its sharp partner: the detail slider adds fine detail, gradually, without halos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from texforge.server.contract import JobContext, UpscaleModel, UpscaleRequest
from texforge.server.sr.metrics import (
    bicubic_downscale,
    bicubic_upscale,
    flat_colour_card,
    halo_levels,
    high_frequency_energy,
)
from texforge.server.weight_files import load_upscaler, sharp_partner_path

DETAILS = (0.0, 0.25, 0.5, 0.75, 1.0)


def textured_image(side: int = 192, seed: int = 0) -> np.ndarray:
    """HR test image: grain (noise at several scales) over a few hard-edged tiles."""
    rng = np.random.default_rng(seed)
    grain = sum(np.kron(rng.random((side // 2**k, side // 2**k)), np.ones((2**k, 2**k))) / 2**k for k in range(3))
    tiles = np.kron(rng.random((6, 6)), np.ones((side // 6, side // 6)))
    luma = 0.35 * grain / grain.max() + 0.55 * tiles
    tint = np.array([1.0, 0.85, 0.7])
    return np.clip(luma[..., None] * tint * 255, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def fast_x4() -> UpscaleModel:
    if not sharp_partner_path("fast-x4").is_file():
        pytest.fail("fast-x4-sharp.safetensors is not shipped")
    torch.set_num_threads(2)
    return load_upscaler("fast-x4", precision="bf16")


def upscale(model: UpscaleModel, image: np.ndarray, detail: float) -> np.ndarray:
    return model.upscale(UpscaleRequest.of(image, scale=4, detail=detail), JobContext())


def test_the_shipped_x4_has_a_sharp_partner(fast_x4: UpscaleModel) -> None:
    assert fast_x4.descriptor.detail


def test_detail_moves_the_output_monotonically_towards_more_fine_detail(fast_x4: UpscaleModel) -> None:
    low = bicubic_downscale(textured_image(), 4)
    outputs = [upscale(fast_x4, low, detail).astype(np.float64) for detail in DETAILS]
    moved = [float(np.abs(out - outputs[0]).mean()) for out in outputs]
    assert all(later > earlier for earlier, later in zip(moved, moved[1:], strict=False))
    energies = [high_frequency_energy(out.astype(np.uint8)) for out in outputs]
    assert all(later > earlier for earlier, later in zip(energies, energies[1:], strict=False))
    assert energies[-1] > 1.5 * energies[0]


def test_detail_adds_no_halo_on_flat_colour(fast_x4: UpscaleModel) -> None:
    low, card, flat = flat_colour_card(size=48)
    bicubic = halo_levels(bicubic_upscale(low, 4), card, flat)
    faithful, sharp = (halo_levels(upscale(fast_x4, low, detail), card, flat) for detail in (0.0, 1.0))
    assert faithful < bicubic and sharp < bicubic  # bicubic rings beside edges (13 levels here)
    assert sharp <= faithful + 2  # the sharp partner adds detail, not ringing (measured: 4 -> 5 levels)
