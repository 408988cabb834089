from __future__ import annotations

from pathlib import Path

from texforge.server.training.cards import carried_stages, training_card

from .conftest import run_config


def test_a_run_from_an_init_file_carries_its_stages_on_and_appends_its_own(tmp_path: Path) -> None:
    config = run_config(tmp_path, init=tmp_path / "base.safetensors", ema=0.9, bf16=True)
    base = training_card(run_config(tmp_path, steps=3), 3, 60.0, {"data": "a"}, [])
    card = training_card(config, 10, 120.0, {"data": "b"}, carried_stages(base, resumed=False))
    assert [(stage["data"], stage["steps"]) for stage in card["stages"]] == [("a", 3), ("b", 10)]
    assert card["steps"] == 10 and card["wall_minutes"] == 2.0 and card["init"] == "base.safetensors"
    assert card["weight_average"].endswith("decay 0.9") and card["hardware"].endswith("bf16 autocast")
    assert "stages" not in card["stages"][0]


def test_a_resumed_run_updates_its_own_stage(tmp_path: Path) -> None:
    config = run_config(tmp_path)
    first = training_card(config, 2, 1.0, {"data": "a"}, [])
    second = training_card(config, 5, 2.0, {"data": "b"}, carried_stages(first, resumed=False))
    resumed = training_card(config, 9, 3.0, {"data": "b"}, carried_stages(second, resumed=True))
    assert [(stage["data"], stage["steps"]) for stage in resumed["stages"]] == [("a", 2), ("b", 9)]


def test_a_card_written_before_stages_counts_as_one_stage(tmp_path: Path) -> None:
    legacy = {"steps": 4000, "data": "old"}
    assert carried_stages(legacy, resumed=False) == [legacy]
    assert carried_stages(legacy, resumed=True) == []
    assert carried_stages({}, resumed=False) == []


def test_the_schedule_is_described_with_its_time_limit(tmp_path: Path) -> None:
    card = training_card(run_config(tmp_path, warmup=5, time_limit=30.0), 1, 0.0, {}, [])
    assert "5 warm-up steps" in card["schedule"] and "30 min" in card["schedule"]
