"""bench/material_relight.py scores a model, its constant maps and its upsampled small-photo maps."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from texforge.server.material.emboss import TOKSVIG_GAIN, working_size_maps

from .bench_run import BENCH_DIR, bench_result

BENCH = BENCH_DIR / "material_relight.py"


def write_capture(folder: Path, views: int = 3, size: int = 64) -> None:
    """A tiny multi-view capture: flash photos of a textured surface and optim.json."""
    rng = np.random.default_rng(3)
    texture = rng.uniform(0.2, 0.8, (size, size, 1))
    y, x = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    for view in range(views):
        falloff = 1 / (1 + 4 * ((x - 0.1 * view) ** 2 + y ** 2))
        photo = (texture * falloff[..., None] * np.array([0.9, 0.7, 0.5])) ** (1 / 2.2)
        Image.fromarray((photo * 255).round().astype(np.uint8)).save(folder / f"{view:02d}.png")
    positions = [[3.0 * view, 0.0, 30.0] for view in range(views)]
    (folder / "optim.json").write_text(json.dumps({"idx": list(range(views)), "camera_pos": positions,
                                                   "light_pos": positions, "im_size": 20.0}))


def test_relight_bench_scores_constant_and_upsampled_variants(tmp_path: Path) -> None:
    write_capture(tmp_path)
    fields = bench_result("material_relight.py", "--data", str(tmp_path), "--input", "0", "--size", "64",
                          "--upsampled-from", "32", "--threads", "1")
    for name in ("material-1shot", "material-1shot.constant", "material-1shot.from32", "heuristic",
                 "heuristic.constant", "heuristic.from32"):
        assert 0.0 < float(fields[name]) < 1.0
    assert fields["material-1shot"] != fields["material-1shot.constant"]


def test_relight_bench_generated_mode_scores_held_out_materials_with_and_without_the_lens() -> None:
    fields = bench_result("material_relight.py", "--generated", "2", "--size", "64", "--known-fov", "--threads", "1")
    for name in ("material-1shot", "material-1shot_known-fov", "material-1shot.constant", "heuristic"):
        assert 0.0 < float(fields[name]) < 1.0


def _relight_bench():  # noqa: ANN202
    sys.path.insert(0, str(BENCH.parent))
    try:
        spec = importlib.util.spec_from_file_location("material_relight", BENCH)
        bench = importlib.util.module_from_spec(spec)
        sys.modules["material_relight"] = bench  # dataclasses resolve their module by name
        spec.loader.exec_module(bench)
    finally:
        sys.path.remove(str(BENCH.parent))
    return bench


def test_generated_capture_relights_its_own_truth_to_the_noise_level() -> None:
    bench = _relight_bench()
    capture = bench.generated_capture(0, 64, 0.3)
    truth, _ = bench.batch_material_and_kind(bench.GENERATED_SEED, 0, 64, 0.3)
    assert len(capture.photos) == 9
    assert 20 <= bench.known_fov_of(capture, 4) <= 32
    errors = [bench.relight_error(truth, photo, position, position, capture.sample_size)
              for photo, position in zip(capture.photos, capture.positions, strict=True)]
    flat = [bench.relight_error(bench.constant(truth), photo, position, position, capture.sample_size)
            for photo, position in zip(capture.photos, capture.positions, strict=True)]
    assert max(errors) < 0.03, errors
    assert min(f - e for f, e in zip(flat, errors, strict=True)) > 0.0
    assert len({round(float(p.mean()), 4) for p in capture.photos}) > 1


def test_capture_error_photographs_with_one_geometry_and_reports_another() -> None:
    bench = _relight_bench()
    exact = bench.generated_capture(0, 64, 0.3)
    hand_held = bench.generated_capture(0, 64, 0.3, bench.CaptureError())
    truth, _ = bench.batch_material_and_kind(bench.GENERATED_SEED, 0, 64, 0.3)
    # the true grid is the same; what the capture reports is not, nor what the flash lit
    assert all(abs(a[2] - b[2]) < 0.2 * a[2] for a, b in zip(exact.positions, hand_held.positions, strict=True))
    assert exact.positions != hand_held.positions
    assert any(not bool((a == b).all()) for a, b in zip(exact.photos, hand_held.photos, strict=True))
    # so even the true maps no longer relight to the noise level
    def worst(capture):  # noqa: ANN001, ANN202
        return max(bench.relight_error(truth, photo, position, position, capture.sample_size)
                   for photo, position in zip(capture.photos, capture.positions, strict=True))
    assert worst(hand_held) > worst(exact) + 0.005


def test_generated_capture_can_carry_a_print_that_changes_its_photos_not_its_geometry() -> None:
    bench = _relight_bench()
    plain, printed = bench.generated_capture(0, 64, 0.3), bench.generated_capture(0, 64, 0.3, printed_over=True)
    assert plain.positions == printed.positions
    assert not np.array_equal(plain.photos[4].numpy(), printed.photos[4].numpy())


def test_an_embossed_capture_is_photographed_supersampled_and_its_widened_labels_relight_it_best() -> None:
    bench = _relight_bench()
    plain, embossed = bench.generated_capture(1, 64, 1.0), bench.generated_capture(1, 64, 1.0, embossed_over=True)
    assert plain.positions == embossed.positions
    assert embossed.photos[4].shape == plain.photos[4].shape
    assert not np.array_equal(plain.photos[4].numpy(), embossed.photos[4].numpy())
    fine, supersample = bench.generated_material(1, 64, 1.0, embossed_over=True)
    assert supersample == 4 and fine.normal.shape[-1] == 256

    def relit(gain: float) -> float:
        labels = working_size_maps(fine, supersample, gain)
        return float(np.mean([bench.relight_error(labels, photo, position, position, embossed.sample_size)
                              for photo, position in zip(embossed.photos, embossed.positions, strict=True)]))

    assert relit(TOKSVIG_GAIN) < relit(0.0)


def test_emboss_bench_scores_each_gain_and_the_models_reading() -> None:
    fields = bench_result("material_emboss.py", "--count", "1", "--size", "64", "--gains", "0", "2", "--threads", "1")
    assert float(fields["best_gain"]) in (0.0, 2.0)
    for name in ("relight_gain0", "relight_gain2", "read_roughness", "label_roughness_best"):
        assert 0.0 < float(fields[name]) < 1.0
