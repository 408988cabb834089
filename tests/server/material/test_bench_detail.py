"""bench/material_detail.py fits and scores the photo-detail gains end to end on a tiny set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "material_detail.py"


def test_detail_bench_fits_gains_and_scores_plain_shipped_fitted_and_matched() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--fit", "--match-energy", "--fit-count", "1", "--count", "1",
                           "--size", "256", "--threads", "1"], capture_output=True, text=True, timeout=600, check=True)
    assert "fit floor=" in done.stdout and "energy-matching albedo gain" in done.stdout
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(result) == 1, done.stdout
    fields = {key: float(value) for key, value in (item.split("=") for item in result[0].split()[1:])}
    for candidate in ("plain", "shipped", "fit0.4/0.8", "match0.4/0.8"):
        for name in ("normal", "albedo", "roughness", "specular", "render"):
            assert 0.0 <= fields[f"{candidate}.{name}"] < 1.0
    # the shipped gains hand the photo's band above the 192 px working size to the albedo
    assert fields["shipped.albedo_hf"] > fields["plain.albedo_hf"]
    assert fields["plain.albedo_hf_true"] == fields["shipped.albedo_hf_true"]
