from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from texforge.server.training import loop
from texforge.server.training.checkpoint import state_path
from texforge.server.training.loop import WeightsReader, configure_torch, run_loop, start
from texforge.server.training.state import TrainingState

from .conftest import run_config


def _state() -> TrainingState:
    network = nn.Linear(2, 1)
    return TrainingState(network, torch.optim.SGD(network.parameters(), lr=0.0))


def _sgd_step(state: TrainingState, step: int) -> dict[str, float]:
    loss = state.network(torch.ones(1, 2)).sum()
    state.optimiser.zero_grad()
    loss.backward()
    state.optimiser.step()
    return {"loss": float(step)}


def test_the_loop_follows_the_schedule_and_publishes_every_val_every_and_at_the_end(tmp_path: Path) -> None:
    config = run_config(tmp_path, steps=5, val_every=2, log_every=2, lr=0.5, min_lr_ratio=1.0)
    state, published, rates = _state(), [], []

    def step(index: int) -> dict[str, float]:
        rates.append(state.optimiser.param_groups[0]["lr"])
        return _sgd_step(state, index)

    def publish(network: nn.Module, losses: Mapping[str, float]) -> None:
        assert state_path(config.out).exists()  # the state file is written first
        published.append((state.step, dict(losses)))

    run_loop(config, state, step, publish)
    assert state.step == 5 and rates == [0.5] * 5
    # mean of the step indices since the last log line
    assert published == [(2, {"loss": 0.5}), (4, {"loss": 2.5}), (5, {"loss": 4.0})]


def _reader(weights: dict[Path, tuple[nn.Module, dict[str, Any]]]) -> WeightsReader:
    return lambda path: weights[path]


def test_start_adopts_the_init_weights_and_carries_their_stages(tmp_path: Path) -> None:
    init = tmp_path / "base.safetensors"
    source, adopted = nn.Linear(2, 1), []
    state = _state()
    config = run_config(tmp_path, init=init, ema=0.5)
    stages = start(config, state, _reader({init: (source, {"stages": [{"steps": 3}]})}),
                   lambda network, other: adopted.append(other))
    assert adopted == [source] and stages == [{"steps": 3}] and state.average is not None


def test_start_on_resume_loads_the_output_then_the_state_file(tmp_path: Path) -> None:
    config = run_config(tmp_path, steps=2, val_every=2, ema=0.5, lr=0.1)
    trained = _state()
    start(config, trained, _reader({}), lambda network, other: None)
    run_loop(config, trained, lambda index: _sgd_step(trained, index), lambda network, losses: None)
    shipped = trained.shipped()  # stands in for the output file's network, read by the reader below
    config.out.touch()
    resumed = _state()
    stages = start(run_config(tmp_path, steps=4, resume=True, ema=0.5), resumed,
                   _reader({config.out: (shipped, {"stages": [{"steps": 2}]})}), lambda network, other: None)
    assert stages == [] and resumed.step == 2
    assert resumed.average is not None and torch.equal(resumed.average.module.weight, shipped.weight)
    assert torch.equal(resumed.network.weight, trained.network.weight)


def test_bf16_runs_in_fp32_on_a_cpu_that_only_emulates_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    threads = torch.get_num_threads()
    requested = run_config(tmp_path, bf16=True, threads=threads)
    monkeypatch.setattr(loop, "cpu_has_native_bf16", lambda: False)
    assert configure_torch(requested).bf16 is False
    monkeypatch.setattr(loop, "cpu_has_native_bf16", lambda: True)
    assert configure_torch(requested) == requested
    plain = run_config(tmp_path, threads=threads)
    assert configure_torch(plain).bf16 is False
