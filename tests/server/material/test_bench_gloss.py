"""bench/material_gloss.py scores gloss-fit settings side by side on calibrated and metered photos."""

from __future__ import annotations

from .bench_run import bench_result


def test_gloss_bench_scores_every_setting() -> None:
    fields = bench_result("material_gloss.py", "--settings", "off", "0.5-4/7", "--relight", "1", "--count", "2",
                          "--size", "64", "--threads", "1")
    assert fields["base"] == "off"
    assert fields["best_relight"] in ("off", "0.5-4/7")
    for setting in ("off", "0.5-4/7"):
        for column in ("relight", "cal_render", "cal_mean5", "met_mean5"):
            assert 0.0 < float(fields[f"{setting}.{column}"]) < 1.0
