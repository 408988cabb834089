"""Gloss fit: the roughness multiplier that makes the maps' flash render match the photo is found,
whatever the photo's exposure; off leaves the maps alone; the pipeline applies each estimator's
settings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.gloss import NO_GLOSS_FIT, GlossFit, best_multiplier, fit_gloss
from texforge.server.material.models import HeuristicMaterialModel
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer, expose

SIZE = 64
SETUP = CaptureSetup(fov_degrees=45.0)
GRID = GlossFit(low=0.25, high=4.0, steps=17)


def glossy_maps(roughness: float) -> SVBRDF:
    normal = torch.zeros(1, 3, SIZE, SIZE)
    normal[:, 2] = 1
    # a gentle albedo gradient, so the fit cannot lean on a uniform image
    ramp = torch.linspace(0.25, 0.4, SIZE).expand(1, 3, SIZE, SIZE).contiguous()
    return SVBRDF(normal, ramp, torch.full((1, 1, SIZE, SIZE), roughness), torch.full((1, 3, SIZE, SIZE), 0.2))


def photo_of(maps: SVBRDF, exposure: float) -> torch.Tensor:
    return expose(FlashRenderer(SETUP).radiance(maps), exposure, SETUP.gamma)


def test_grid_is_log_spaced_and_holds_the_estimate_itself() -> None:
    assert np.allclose(GlossFit(low=0.5, high=4.0, steps=4).multipliers(), [0.5, 1.0, 2.0, 4.0])
    assert GlossFit(low=1.5, high=6.0, steps=3).multipliers() == [1.0, 1.5, 3.0, 6.0]
    assert NO_GLOSS_FIT.off and NO_GLOSS_FIT.multipliers() == [1.0]


def test_a_too_glossy_reading_is_scaled_to_the_photos_highlight() -> None:
    photo = photo_of(glossy_maps(0.5), exposure=0.4)  # a dim, metered photo: the level tells nothing
    estimate = glossy_maps(0.25)
    assert best_multiplier(estimate, photo, SETUP, GRID) == 2.0
    fitted = fit_gloss(estimate, photo, SETUP, GRID)
    assert torch.allclose(fitted.roughness, torch.full_like(fitted.roughness, 0.5))
    assert torch.equal(fitted.diffuse, estimate.diffuse) and torch.equal(fitted.specular, estimate.specular)


def test_a_too_rough_reading_is_scaled_down_and_a_right_one_kept() -> None:
    photo = photo_of(glossy_maps(0.3), exposure=1.2)
    assert best_multiplier(glossy_maps(0.6), photo, SETUP, GRID) == 0.5
    assert best_multiplier(glossy_maps(0.3), photo, SETUP, GRID) == 1.0


def test_partial_strength_moves_part_of_the_way_and_off_moves_nothing() -> None:
    photo = photo_of(glossy_maps(0.5), exposure=0.7)
    estimate = glossy_maps(0.25)
    half = fit_gloss(estimate, photo, SETUP, replace(GRID, strength=0.5))
    assert torch.allclose(half.roughness, torch.full_like(half.roughness, 0.25 * 2.0 ** 0.5))
    assert fit_gloss(estimate, photo, SETUP, NO_GLOSS_FIT) is estimate


def test_pipeline_applies_the_estimators_gloss_fit() -> None:
    model = HeuristicMaterialModel()
    rng = np.random.default_rng(3)
    photo = (rng.random((48, 48, 3)) * 60 + 120).astype(np.uint8)
    request = MaterialRequest.of(photo, size=48)
    base = model.estimate(request, JobContext())["roughness"]
    model.gloss = GlossFit(low=3.0, high=3.0, steps=1, reference=1 / 3)  # grid {1}: applies x3 whatever the photo
    scaled = model.estimate(request, JobContext())["roughness"]
    assert float(scaled.mean()) > float(base.mean()) + 0.05
