"""bench/material_generated.py runs end to end on a tiny held-out set and scores what it says."""

from __future__ import annotations

from .bench_run import bench_result


def _fields(*extra: str) -> dict[str, str]:
    """The bench's RESULT fields on 2 materials at 32 px."""
    return bench_result("material_generated.py", "--count", "2", "--size", "32", "--threads", "1", *extra)


def test_generated_bench_prints_scores_for_the_model_and_both_baselines() -> None:
    fields = _fields()
    assert fields["materials"] == "2"
    for model in ("mean-map", "material-1shot", "heuristic"):
        for name in ("normal", "albedo", "roughness", "specular", "render"):
            assert 0.0 <= float(fields[f"{model}.{name}"]) < 1.0
    # the samples differ from one another, so predicting their mean cannot be exact
    assert float(fields["mean-map.albedo"]) > 0.0
    # a uniform paint's albedo is de-lit: no hotspot and no inverse hotspot (stage 8: centre 0.74)
    assert abs(float(fields["material-1shot.uniform_centre"]) - 1.0) < 0.1
    assert abs(float(fields["material-1shot.uniform_edge"]) - 1.0) < 0.15
    # the worst centre is one of the per-lens readings, and the farthest from 1 of them
    centres = [float(fields[f"material-1shot.uniform_centre_{fov}"]) for fov in (45, 60, 75)]
    assert float(fields["material-1shot.uniform_centre"]) == max(centres, key=lambda c: abs(c - 1.0))


def test_generated_bench_photographs_at_the_asked_field_of_view_and_can_tell_it() -> None:
    untold, told = _fields("--fov", "20", "25"), _fields("--fov", "20", "25", "--known-fov")
    # the same photos and truth: the mean map scores alike; the heuristic de-lights with the told lens
    assert untold["mean-map.albedo"] == told["mean-map.albedo"]
    assert untold["heuristic.albedo"] != told["heuristic.albedo"]
    # other photos of the same materials: the network reads them differently
    assert untold["material-1shot.albedo"] != _fields()["material-1shot.albedo"]


def test_generated_bench_can_meter_the_photos_as_a_phone_does() -> None:
    calibrated, metered = _fields(), _fields("--auto-exposure")
    # the same materials: the mean map scores alike; other photos: the network reads them differently
    assert calibrated["mean-map.albedo"] == metered["mean-map.albedo"]
    assert calibrated["material-1shot.albedo"] != metered["material-1shot.albedo"]


def test_generated_bench_can_print_over_the_materials() -> None:
    plain, printed = _fields(), _fields("--printed")
    # other albedos (the print), the same relief: the mean map's albedo differs, its normal does not
    assert plain["mean-map.albedo"] != printed["mean-map.albedo"]
    assert plain["mean-map.normal"] == printed["mean-map.normal"]
