"""The `multiply` model: one variation per seed, progress over all of them, cancel between passes."""

from __future__ import annotations

import numpy as np
import pytest

from texforge.protocol.arguments import MultiplyArgs, SeamlessArgs
from texforge.server.contract import JobCancelled, JobContext, MultiplyModel, MultiplyRequest, SeamlessRequest, TextureMap
from texforge.server.multiply import PatchSynthesisModel

from .conftest import procedural_material


def test_the_model_makes_one_variation_per_seed_and_reports_progress() -> None:
    model = PatchSynthesisModel()
    assert isinstance(model, MultiplyModel) and model.descriptor.kind == "multiply"
    material = procedural_material()
    request = MultiplyRequest(material["albedo"], MultiplyArgs(count=3, size=(40, 32), seed=10), "srgb",
                              (TextureMap("height", material["height"]),))
    reports: list[tuple[int, int, str]] = []
    variations = model.multiply(request, JobContext(progress_callback=lambda *report: reports.append(report)))
    assert [made.seed for made in variations] == [10, 11, 12]
    assert all(made.image.shape == (32, 40, 3) and made.maps["height"].shape == (32, 40, 1) for made in variations)
    assert not np.array_equal(variations[0].image, variations[1].image)
    done, total = [report[0] for report in reports], reports[-1][1]
    assert done == list(range(1, total + 1)) and total % 3 == 0


def test_a_cancelled_job_stops_at_the_next_pass() -> None:
    context = JobContext()
    calls = []

    def cancel_after_first(done: int, total: int, stage: str) -> None:
        calls.append(done)
        context.cancel_event.set()

    context.progress_callback = cancel_after_first
    request = MultiplyRequest(procedural_material()["albedo"], MultiplyArgs(count=4, size=(64, 64), seed=0))
    with pytest.raises(JobCancelled):
        PatchSynthesisModel().multiply(request, context)
    assert calls == [1]


def test_make_seamless_returns_the_input_size() -> None:
    material = procedural_material((40, 48))
    made = PatchSynthesisModel().make_seamless(SeamlessRequest(material["albedo"], SeamlessArgs(border=0.3)), JobContext())
    assert made.image.shape == material["albedo"].shape and made.seed == 0
