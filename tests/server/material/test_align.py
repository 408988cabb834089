"""Guide alignment: recovers a known homography; rejects unrelated photos."""

from __future__ import annotations

import math

import pytest
import torch

from texforge.server.material.align import AlignmentError, align_guide, estimate_homography, warp
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
