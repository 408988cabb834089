"""A short seeded load run (bench/load.py runs 16 clients x 25 requests)."""

from __future__ import annotations

from texforge.protocol.testing.loadgen import run_load


def test_concurrent_mixed_load_loses_and_duplicates_nothing(diagnostic_server) -> None:
    report = run_load(diagnostic_server.address, clients=6, requests_each=6, seed=3, large=128)
    assert report.sent >= 36
    assert report.lost == 0 and report.duplicated == 0, report.outcomes
    assert "error:internal" not in report.outcomes
    assert report.outcomes["result"] > 0
