"""Run a bench script as a user would and read its one ``RESULT`` line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[3] / "bench"


def bench_result(script: str, *args: str, timeout: int = 600) -> dict[str, str]:
    """The ``key=value`` fields of ``bench/<script>``'s ``RESULT`` line (exactly one is printed)."""
    done = subprocess.run([sys.executable, str(BENCH_DIR / script), *args],
                          capture_output=True, text=True, timeout=timeout, check=True)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(result) == 1, done.stdout
    return dict(item.split("=", 1) for item in result[0].split()[1:])
