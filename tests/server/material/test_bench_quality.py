"""bench/material_quality.py scores maps in the strips' encoding: our sRGB outputs are decoded to linear first."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from texforge.server.material.render import CaptureSetup, linear_to_srgb

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def quality():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("material_quality_under_test", BENCH / "material_quality.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def _outputs(albedo_srgb: float, specular_srgb: float) -> dict[str, np.ndarray]:
    """What MaterialModel.estimate returns (H x W x C, contract encoding) for a flat, uniform material."""
    full = lambda value, channels: np.full((4, 4, channels), value, dtype=np.float32)  # noqa: E731
    normal = np.broadcast_to(np.array([0.5, 0.5, 1.0], dtype=np.float32), (4, 4, 3)).copy()
    return {"albedo": full(albedo_srgb, 3), "specular": full(specular_srgb, 3), "normal": normal,
            "roughness": full(0.4, 1), "glossiness": full(0.6, 1)}


def _truth(albedo: float, specular: float) -> dict[str, torch.Tensor]:
    """Ground truth as a strip stores it: linear albedo and specular."""
    return {"normal": torch.tensor([0.5, 0.5, 1.0]).reshape(1, 3, 1, 1).expand(1, 3, 4, 4),
            "albedo": torch.full((1, 3, 4, 4), albedo), "roughness": torch.full((1, 1, 4, 4), 0.4),
            "specular": torch.full((1, 3, 4, 4), specular)}


def test_model_outputs_are_decoded_to_linear_before_scoring(quality) -> None:
    # the model says sRGB 0.5 albedo (linear 0.214) and sRGB 0.22 specular (linear ~0.04)
    predicted = quality.arrays_to_encoded(_outputs(0.5, 0.22))
    assert float(predicted["albedo"].mean()) == pytest.approx(0.2140, abs=1e-3)
    assert float(predicted["specular"].mean()) == pytest.approx(0.0399, abs=1e-3)
    assert torch.allclose(predicted["normal"], _truth(0, 0)["normal"], atol=1e-6)
    assert float(predicted["roughness"].mean()) == pytest.approx(0.4)


def test_matching_linear_truth_scores_zero_and_the_srgb_reading_would_not(quality) -> None:
    linear_albedo, linear_specular = 0.2140, 0.04
    albedo_srgb = float(linear_to_srgb(torch.tensor(linear_albedo)))
    specular_srgb = float(linear_to_srgb(torch.tensor(linear_specular)))
    predicted = quality.arrays_to_encoded(_outputs(albedo_srgb, specular_srgb))
    scores = quality.scores(predicted, _truth(linear_albedo, linear_specular), CaptureSetup())
    for name in ("normal", "albedo", "roughness", "specular", "render"):
        assert scores[name] < 1e-4, (name, scores)
    # scored against the same numbers read as sRGB, the error is the gap between the two readings
    wrong = quality.scores(predicted, _truth(albedo_srgb, specular_srgb), CaptureSetup())
    assert wrong["albedo"] == pytest.approx(albedo_srgb - linear_albedo, abs=1e-4)
    assert wrong["specular"] == pytest.approx(specular_srgb - linear_specular, abs=1e-4)
