"""A short seeded fuzz run against a live server (bench/fuzz.py runs 10,000+)."""

from __future__ import annotations

from texforge.protocol import Client
from texforge.protocol.testing.fuzz import mutate, run_fuzz


def test_mutator_is_deterministic_for_a_seed() -> None:
    import random

    first = [mutate(random.Random(7)) for _ in range(5)]
    again = [mutate(random.Random(7)) for _ in range(5)]
    assert first == again


def test_every_mutated_message_is_answered_and_the_server_survives(diagnostic_server) -> None:
    report = run_fuzz(diagnostic_server.address, count=400, seed=20261123)
    assert report.sent == 400
    assert report.hangs == 0
    assert report.outcomes["dropped"] == 0, report.outcomes
    assert sum(n for outcome, n in report.outcomes.items() if outcome.startswith("error:")) > 200
    assert "error:internal" not in report.outcomes, report.outcomes
    with Client(diagnostic_server.address) as client:
        assert client.ping() < 1.0
