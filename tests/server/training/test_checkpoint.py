from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from texforge.server.training.checkpoint import load_state, resumes, save_state, state_path
from texforge.server.training.ema import WeightAverage
from texforge.server.training.state import TrainingState

from .conftest import run_config


def _state(seed: int) -> TrainingState:
    torch.manual_seed(seed)
    network, critic = nn.Linear(3, 2), nn.Linear(2, 1)
    state = TrainingState(network, torch.optim.Adam(network.parameters(), lr=1e-2),
                          extra_modules={"critic": critic},
                          extra_optimisers={"critic": torch.optim.SGD(critic.parameters(), lr=0.1, momentum=0.9)},
                          numpy_rng=np.random.default_rng(seed))
    state.average = WeightAverage(network, 0.5)
    return state


def _train_a_step(state: TrainingState) -> None:
    for module, optimiser in ((state.network, state.optimiser), (state.extra_modules["critic"],
                                                                 state.extra_optimisers["critic"])):
        module.weight.sum().backward()
        optimiser.step()


def test_round_trip_restores_optimisers_weights_modules_rngs_and_progress(tmp_path: Path) -> None:
    saved = _state(0)
    _train_a_step(saved)
    saved.step, saved.elapsed = 7, 12.5
    saved.numpy_rng.random(3)
    path = tmp_path / "run.state.safetensors"
    save_state(path, saved)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # written through a temporary file
    expected_torch, expected_numpy = torch.rand(4), saved.numpy_rng.random(4)

    loaded = _state(1)
    load_state(path, loaded)
    assert (loaded.step, loaded.elapsed) == (7, 12.5)
    for a, b in ((saved.network, loaded.network), (saved.extra_modules["critic"], loaded.extra_modules["critic"])):
        for name, value in a.state_dict().items():
            torch.testing.assert_close(b.state_dict()[name], value)
    for a, b in ((saved.optimiser, loaded.optimiser), (saved.extra_optimisers["critic"], loaded.extra_optimisers["critic"])):
        for index, values in a.state_dict()["state"].items():
            for name, value in values.items():
                torch.testing.assert_close(torch.as_tensor(b.state_dict()["state"][index][name]), torch.as_tensor(value))
    torch.testing.assert_close(torch.rand(4), expected_torch)
    np.testing.assert_array_equal(loaded.numpy_rng.random(4), expected_numpy)


def test_trained_weights_are_kept_only_when_the_output_holds_an_average(tmp_path: Path) -> None:
    state = _state(0)
    state.average = None
    path = tmp_path / "plain.state.safetensors"
    save_state(path, state)
    other = _state(1)
    before = other.network.weight.clone()
    load_state(path, other)
    assert torch.equal(other.network.weight, before)  # the network comes from the output file then


def test_a_file_that_is_no_state_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.safetensors"
    save_file({"x": torch.zeros(1)}, str(path))
    with pytest.raises(ValueError, match="not a texforge training state"):
        load_state(path, _state(0))


def test_extra_names_may_not_clash_with_the_network(tmp_path: Path) -> None:
    state = _state(0)
    state.extra_optimisers["network"] = state.optimiser
    with pytest.raises(ValueError, match="'network'"):
        save_state(tmp_path / "x.state.safetensors", state)


def test_resume_needs_the_state_file_once_the_output_exists(tmp_path: Path) -> None:
    config = run_config(tmp_path, resume=True)
    assert state_path(config.out) == tmp_path / "out.state.safetensors"
    assert not resumes(config)  # nothing written yet: a fresh start
    config.out.write_bytes(b"")
    with pytest.raises(ValueError, match="state file"):
        resumes(config)
    state_path(config.out).write_bytes(b"")
    assert resumes(config) and not resumes(run_config(tmp_path))
