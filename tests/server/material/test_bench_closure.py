"""bench/material_closure.py scores closure settings side by side and names the best relighting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "material_closure.py"


def test_closure_bench_scores_every_setting() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--settings", "0/0", "1/8", "--relight", "1", "--count", "2",
                           "--size", "64", "--known-fov", "--threads", "1"],
                          capture_output=True, text=True, timeout=600, check=True)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(result) == 1, done.stdout
    fields = dict(item.split("=") for item in result[0].split()[1:])
    assert fields["base"] == "0/0"
    assert fields["best_relight"] in ("0/0", "1/8")
    for setting in ("0/0", "1/8"):
        for column in ("relight", "albedo", "render"):
            assert 0.0 < float(fields[f"{setting}.{column}"]) < 1.0
    # the closure changes the albedo, nothing else
    assert fields["0/0.albedo"] != fields["1/8.albedo"]
