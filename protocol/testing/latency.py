"""Latency summaries of the load and soak runs (NaN when nothing was measured)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def median(values: Sequence[float]) -> float:
    """The median of `values`."""
    return statistics.median(values) if values else float("nan")
