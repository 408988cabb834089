"""Test-time refinement lowers the re-rendering error."""

from __future__ import annotations

import torch

from texforge.server.contract import JobContext
from texforge.server.material.procedural import generate_batch
from texforge.server.material.refine import refine_svbrdf
from texforge.server.material.render import SVBRDF, CaptureSetup, FlashRenderer


def test_refinement_lowers_rerender_error_and_reports_progress() -> None:
    setup = CaptureSetup()
    truth = generate_batch(1, 48, seed=9)
    photo = FlashRenderer(setup).photo(truth)
    start = SVBRDF(torch.nn.functional.normalize(truth.normal + torch.tensor([0.3, 0.0, 0.0]).reshape(1, 3, 1, 1), dim=1),
                   (truth.diffuse * 0.6).clamp(0, 1), (truth.roughness + 0.2).clamp(0, 1), truth.specular * 0.5)
    steps: list[int] = []
    context = JobContext(progress_callback=lambda done, total, stage: steps.append(done))
    refined = refine_svbrdf(start, photo, setup, 40, context)

    def error(maps: SVBRDF) -> float:
        return float((FlashRenderer(setup).photo(maps) - photo).pow(2).mean().sqrt())

    assert error(refined) < 0.5 * error(start)
    assert steps == list(range(1, 41))
