"""Guide alignment: recovers a known homography; rejects unrelated photos."""

from __future__ import annotations

import math

import pytest
import torch

from texforge.server.material.align import (
    MIN_CORRELATION,
    AlignmentError,
    align_guide,
    estimate_homography,
    lighting_robust_features,
    warp,
    zncc,
)
from texforge.server.material.procedural import generate_batch, render_capture
from texforge.server.material.render import CaptureSetup


def _photos() -> tuple[torch.Tensor, torch.Tensor]:
    maps = generate_batch(2, 128, seed=11)
    return render_capture(maps, torch.Generator().manual_seed(2), CaptureSetup())


def _known_homography() -> torch.Tensor:
    angle, scale = math.radians(2.5), 1.03
    return torch.tensor([[scale * math.cos(angle), -scale * math.sin(angle), 0.04],
                         [scale * math.sin(angle), scale * math.cos(angle), -0.03],
                         [0.015, -0.01, 1.0]], dtype=torch.float64)


def _mean_point_error_px(a: torch.Tensor, b: torch.Tensor, size: int) -> float:
    grid = torch.linspace(-0.8, 0.8, 5, dtype=torch.float64)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    points = torch.stack([xx.flatten(), yy.flatten(), torch.ones(25, dtype=torch.float64)])
    pa, pb = a @ points, b @ points
    return float(((pa[:2] / pa[2] - pb[:2] / pb[2]) * size / 2).norm(dim=0).mean())


def test_recovers_known_homography_under_other_exposure() -> None:
    flash, _ = _photos()
    truth = _known_homography()
    # same surface, other exposure and tone curve, moved by the homography
    moving = warp((flash[:1] * 0.7) ** 1.2, torch.linalg.inv(truth))
    estimate, score = estimate_homography(flash[:1], moving)
    assert _mean_point_error_px(estimate, truth, 128) < 1.0
    assert score > 0.5


def test_aligns_guide_photo_with_other_lighting() -> None:
    flash, guide = _photos()
    truth = _known_homography()
    moving = warp(guide[:1], torch.linalg.inv(truth))
    estimate, _ = estimate_homography(flash[:1], moving)
    assert _mean_point_error_px(estimate, truth, 128) < 2.0
    assert align_guide(flash[:1], moving).shape == flash[:1].shape


def test_rejects_photos_of_different_surfaces() -> None:
    flash, guide = _photos()
    noise = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="same surface"):
        align_guide(flash[:1], noise)
    with pytest.raises(AlignmentError):
        align_guide(flash[:1], guide[1:2])


def test_one_shared_structure_is_not_the_same_surface() -> None:
    """Two unrelated surfaces crossed by the same dark stripe (a cable across two tables): the stripe
    alone makes the whole-frame correlation pass, the block median refuses the pair."""
    g = torch.Generator().manual_seed(5)
    stripes = torch.ones(1, 1, 128, 128)
    stripes[..., 40:48, :] = 0.2
    flash = (0.25 + 0.5 * torch.rand(1, 3, 128, 128, generator=g)) * stripes
    guide = (0.25 + 0.5 * torch.rand(1, 3, 128, 128, generator=g)) * stripes
    features = lighting_robust_features
    whole = zncc(features(flash)[0, 0].double(), features(guide)[0, 0].double(), torch.ones(128, 128).double())
    assert whole > MIN_CORRELATION  # the old, whole-frame check accepted this pair
    with pytest.raises(AlignmentError, match="--guide-aligned"):
        align_guide(flash, guide)
