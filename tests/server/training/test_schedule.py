from __future__ import annotations

from pathlib import Path

import pytest

from texforge.server.training.schedule import finished, learning_rate

from .conftest import run_config


def test_warm_up_is_linear_then_the_cosine_starts_at_the_peak(tmp_path: Path) -> None:
    config = run_config(tmp_path, steps=1000, warmup=4, min_lr_ratio=0.1)
    assert [learning_rate(config, step, 0.0) for step in range(3)] == pytest.approx([0.25, 0.5, 0.75], rel=1e-4)
    assert learning_rate(config, 3, 0.0) == pytest.approx(1.0, rel=1e-4)


def test_cosine_ends_at_the_minimum_ratio(tmp_path: Path) -> None:
    config = run_config(tmp_path, steps=100, min_lr_ratio=0.05)
    assert learning_rate(config, 0, 0.0) == pytest.approx(1.0)
    assert learning_rate(config, 50, 0.0) == pytest.approx(0.05 + 0.95 * 0.5)
    assert learning_rate(config, 100, 0.0) == pytest.approx(0.05)
    assert learning_rate(config, 150, 0.0) == pytest.approx(0.05)


def test_time_drives_the_schedule_when_the_limit_binds_first(tmp_path: Path) -> None:
    config = run_config(tmp_path, steps=1000, min_lr_ratio=0.0, time_limit=2.0)
    # 10 of 1000 steps, but half of the two minutes: the decay is half way
    assert learning_rate(config, 10, 60.0) == pytest.approx(0.5)
    assert learning_rate(config, 500, 6.0) == pytest.approx(0.5)


def test_a_run_finishes_at_its_steps_or_its_time_limit(tmp_path: Path) -> None:
    by_steps = run_config(tmp_path, steps=5)
    assert not finished(by_steps, 4, 1e9) and finished(by_steps, 5, 0.0)
    by_time = run_config(tmp_path, steps=5, time_limit=1.0)
    assert not finished(by_time, 1, 59.0) and finished(by_time, 1, 60.0)
