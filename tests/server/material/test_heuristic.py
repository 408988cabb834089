"""Heuristic baseline: falloff removed from albedo, flat surfaces stay flat, sane ranges."""

from __future__ import annotations

import torch

from texforge.server.material.heuristic import heuristic_svbrdf
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer


def _uniform_photo(albedo: float, size: int = 64) -> torch.Tensor:
    normal = torch.zeros(1, 3, size, size)
    normal[:, 2] = 1
    maps = SVBRDF(normal, torch.full((1, 3, size, size), albedo), torch.full((1, 1, size, size), 0.9),
                  torch.full((1, 3, size, size), 0.04))
    return FlashRenderer(CaptureSetup()).photo(maps)


def test_flash_falloff_is_divided_out_of_the_albedo() -> None:
    photo = _uniform_photo(0.3)
    estimate = heuristic_svbrdf(photo)
    assert photo[0, 0].max() / photo[0, 0].min() > 1.3  # the photo has a visible falloff
    assert estimate.diffuse.max() / estimate.diffuse.min() < 1.1  # the albedo does not


def test_flat_surface_gives_flat_normals_and_valid_ranges() -> None:
    estimate = heuristic_svbrdf(_uniform_photo(0.5))
    assert estimate.normal[:, 2].min() > 0.99
    assert torch.allclose(estimate.normal.norm(dim=1), torch.ones(1, 64, 64), atol=1e-5)
    assert 0 <= estimate.roughness.min() and estimate.roughness.max() <= 1
    assert torch.allclose(estimate.specular, torch.full_like(estimate.specular, 0.04))


def test_darker_surface_gives_darker_albedo() -> None:
    dark, bright = heuristic_svbrdf(_uniform_photo(0.1)), heuristic_svbrdf(_uniform_photo(0.6))
    assert dark.diffuse.mean() < bright.diffuse.mean()
