"""Shading closure: what the maps leave unexplained in the photo reaches the albedo, the flash
falloff and clipped highlights do not, and the pipeline applies each estimator's settings."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from texforge.server.contract import JobContext, MaterialRequest
from texforge.server.material.closure import (
    NO_CLOSURE,
    ShadingClosure,
    close_shading,
    exposure_gain,
    fitted_capture,
    unexplained_log_ratio,
)
from texforge.server.material.models import HeuristicMaterialModel
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer, expose

SIZE = 64
SETUP = CaptureSetup()


def plain_maps(albedo: torch.Tensor | float = 0.4, size: int = SIZE) -> SVBRDF:
    normal = torch.zeros(1, 3, size, size)
    normal[:, 2] = 1
    diffuse = albedo if isinstance(albedo, torch.Tensor) else torch.full((1, 3, size, size), albedo)
    return SVBRDF(normal, diffuse, torch.full((1, 1, size, size), 0.6), torch.full((1, 3, size, size), 0.04))


def checker(size: int = SIZE, period: int = 4) -> torch.Tensor:
    """+-1 checker of ``period``-px squares, ``(1, 1, size, size)``."""
    cells = torch.arange(size) // (period // 2)
    return (((cells[:, None] + cells[None, :]) % 2).float() * 2 - 1)[None, None]


def photo_of(maps: SVBRDF, exposure: float = 0.7, setup: CaptureSetup = SETUP) -> torch.Tensor:
    return expose(FlashRenderer(setup).radiance(maps), exposure, setup.gamma)


def rmse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b) ** 2).mean().sqrt())


def test_maps_that_explain_the_photo_keep_their_albedo() -> None:
    maps = plain_maps(0.3 * (0.25 * checker()).exp().expand(1, 3, SIZE, SIZE))
    closed = close_shading(maps, photo_of(maps), SETUP, ShadingClosure(1.0, 0))
    assert torch.allclose(closed.diffuse, maps.diffuse, atol=2e-3)


def test_unexplained_albedo_texture_reaches_the_albedo_at_its_level() -> None:
    truth = plain_maps(0.3 * (0.3 * checker()).exp().expand(1, 3, SIZE, SIZE))
    estimate = plain_maps(float(truth.diffuse.mean()))
    closed = close_shading(estimate, photo_of(truth, exposure=1.3), SETUP, ShadingClosure(1.0, 0))
    assert rmse(closed.diffuse, truth.diffuse) < 0.4 * rmse(estimate.diffuse, truth.diffuse)
    correlation = torch.corrcoef(torch.stack([closed.diffuse.flatten(), truth.diffuse.flatten()]))[0, 1]
    assert float(correlation) > 0.95  # not 1: the hotspot is mostly specular, no diffuse evidence
    # the exposure is unknown: the estimate's own level is kept
    assert abs(float(closed.diffuse.mean()) - float(estimate.diffuse.mean())) < 0.02
    half = ShadingClosure(0.5, 0)
    halfway = close_shading(estimate, photo_of(truth), SETUP, half)
    assert rmse(closed.diffuse, truth.diffuse) < rmse(halfway.diffuse, truth.diffuse) < rmse(estimate.diffuse, truth.diffuse)


def test_a_wrong_flash_falloff_is_kept_out_by_the_low_cut() -> None:
    """A photo shot with a narrower lens than assumed: the falloff differs by a smooth disc."""
    maps = plain_maps(0.35)
    photo = photo_of(maps, setup=SETUP.with_fov(25.0))
    printed = close_shading(maps, photo, SETUP, ShadingClosure(1.0, 0)).diffuse
    kept_out = close_shading(maps, photo, SETUP, ShadingClosure(1.0, 8)).diffuse

    def centre_over_edge(albedo: torch.Tensor) -> float:
        c = SIZE // 2
        return float(albedo[..., c - 4:c + 4, c - 4:c + 4].mean() / albedo[..., :4, :].mean())

    assert abs(centre_over_edge(printed) - 1) > 0.1
    assert abs(centre_over_edge(kept_out) - 1) < 0.5 * abs(centre_over_edge(printed) - 1)


def test_an_unknown_field_of_view_is_fitted_to_the_falloff() -> None:
    maps = plain_maps(0.35)
    maps = replace(maps, roughness=torch.full_like(maps.roughness, 0.3))
    for fov in (25.0, 65.0):
        photo = photo_of(maps, setup=SETUP.with_fov(fov))
        assert fitted_capture(maps, photo, SETUP).fov_degrees == fov
        fitted = close_shading(maps, photo, SETUP, ShadingClosure(1.0, 0, fit_fov=True)).diffuse
        assert float(fitted.std() / fitted.mean()) < 0.01
    # told the field of view, the closure trusts it
    photo = photo_of(maps, setup=SETUP.with_fov(25.0))
    trusted = close_shading(maps, photo, SETUP, ShadingClosure(1.0, 0, fit_fov=True), fov_known=True).diffuse
    assert float(trusted.std() / trusted.mean()) > 0.05


def test_clipped_pixels_carry_no_evidence() -> None:
    maps = plain_maps(0.4)
    photo = photo_of(maps)
    photo[..., 10:20, 10:20] = 1.0
    ratio, trust = unexplained_log_ratio(maps, photo, SETUP)
    assert float(ratio[..., 10:20, 10:20].abs().max()) == 0.0
    assert float(trust[..., 10:20, 10:20].max()) == 0.0


def test_exposure_gain_ignores_invalid_pixels() -> None:
    rendered = torch.rand(1, 3, 8, 8) + 0.1
    photo = rendered * 2.5
    valid = torch.ones(1, 1, 8, 8)
    photo[..., :2, :] = 100.0
    valid[..., :2, :] = 0.0
    assert math.isclose(float(exposure_gain(rendered, photo, valid)), 2.5, rel_tol=1e-5)


def test_off_closure_returns_the_maps_unchanged() -> None:
    maps = plain_maps(0.4)
    assert close_shading(maps, photo_of(plain_maps(0.2)), SETUP, NO_CLOSURE) is maps


def test_pipeline_applies_the_estimators_closure() -> None:
    truth = plain_maps(0.3 * (0.4 * checker(period=16)).exp().expand(1, 3, SIZE, SIZE))
    photo = (photo_of(truth)[0].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    request = MaterialRequest.of(photo, size=SIZE)
    model = HeuristicMaterialModel()
    assert model.closure == NO_CLOSURE
    plain = model.estimate(request, JobContext())["albedo"]
    model.closure = ShadingClosure(1.0, 0)
    closed = model.estimate(request, JobContext())["albedo"]
    assert not (plain == closed).all()
    assert replace(NO_CLOSURE, strength=1.0) == ShadingClosure(1.0, 0)
