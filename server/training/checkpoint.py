"""The state file ``OUT.state.safetensors``: what ``--resume`` needs besides the output weights.

It holds the optimisers' tensors (each under its own prefix), the trained weights when the
output holds their average (``--ema``), extra modules such as the GAN discriminator, the torch
RNG state, and JSON metadata: step, elapsed seconds and the numpy RNG state if the run has one.
Tensors only, never pickle; written to a temporary file and renamed, so a run killed while
writing leaves the previous state file whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .. import weight_files
from .config import RunConfig
from .state import TrainingState

logger = logging.getLogger(__name__)

STATE_FORMAT = "texforge-training-state"
"""``format`` metadata of a state file."""
RAW_WEIGHTS_PREFIX = "network."
"""Prefix of the trained (not averaged) weights, present when ``--ema`` is on."""
_NETWORK_OPTIMISER = "network"
_TORCH_RNG = "rng.torch"


def state_path(out: Path) -> Path:
    """The state file next to the output weights ``out`` (the naming rule of ``weight_files``)."""
    return weight_files.state_path(out)


def resumes(config: RunConfig) -> bool:
    """Whether this run continues ``--out``: ``--resume`` asks and ``--out`` exists (else it starts fresh)."""
    if not config.resume:
        return False
    if not config.out.exists():
        logger.info("--resume: %s does not exist yet; starting a fresh run", config.out)
        return False
    if not state_path(config.out).exists():
        raise ValueError(f"--resume: {config.out} has no state file {state_path(config.out)}")
    return True


def save_state(path: Path, state: TrainingState) -> None:
    """Write everything but the output weights that continuing ``state`` needs."""
    _check_names(state)
    tensors: dict[str, torch.Tensor] = {}
    if state.average is not None:
        tensors.update(_prefixed(RAW_WEIGHTS_PREFIX, state.network.state_dict()))
    for name, optimiser in _optimisers(state).items():
        tensors.update(_prefixed(f"optimiser.{name}.", _optimiser_tensors(optimiser)))
    for name, module in state.extra_modules.items():
        tensors.update(_prefixed(f"module.{name}.", module.state_dict()))
    tensors[_TORCH_RNG] = torch.get_rng_state()
    numpy_rng = state.numpy_rng.bit_generator.state if state.numpy_rng is not None else None
    progress = {"step": state.step, "elapsed": state.elapsed, "numpy_rng": numpy_rng}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"format": STATE_FORMAT, "progress": json.dumps(progress)})
    tmp.replace(path)


def load_state(path: Path, state: TrainingState) -> None:
    """Restore into ``state`` what ``save_state`` wrote; ValueError if ``path`` is no state file."""
    _check_names(state)
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        metadata = handle.metadata() or {}
        if metadata.get("format") != STATE_FORMAT:
            raise ValueError(f"{path} is not a texforge training state (format={metadata.get('format')!r})")
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    raw = _unprefixed(RAW_WEIGHTS_PREFIX, tensors)
    if raw:
        state.network.load_state_dict(raw)
    for name, optimiser in _optimisers(state).items():
        _restore_optimiser(optimiser, _unprefixed(f"optimiser.{name}.", tensors))
    for name, module in state.extra_modules.items():
        module.load_state_dict(_unprefixed(f"module.{name}.", tensors))
    torch.set_rng_state(tensors[_TORCH_RNG])
    progress = json.loads(metadata["progress"])
    state.step, state.elapsed = int(progress["step"]), float(progress["elapsed"])
    if state.numpy_rng is not None and progress["numpy_rng"] is not None:
        state.numpy_rng.bit_generator.state = progress["numpy_rng"]


def _check_names(state: TrainingState) -> None:
    for name in [*state.extra_modules, *state.extra_optimisers]:
        if "." in name or name == _NETWORK_OPTIMISER:
            raise ValueError(f"extra training state name {name!r} must not contain '.' nor be {_NETWORK_OPTIMISER!r}")


def _optimisers(state: TrainingState) -> dict[str, torch.optim.Optimizer]:
    return {_NETWORK_OPTIMISER: state.optimiser, **state.extra_optimisers}


def _prefixed(prefix: str, tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # cloned: safetensors refuses tensors that share memory (tied weights, views)
    return {prefix + name: tensor.detach().clone().contiguous() for name, tensor in tensors.items()}


def _unprefixed(prefix: str, tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name[len(prefix):]: tensor for name, tensor in tensors.items() if name.startswith(prefix)}


def _optimiser_tensors(optimiser: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """``INDEX.NAME`` -> tensor for every per-parameter state entry (Adam: step, exp_avg, ...)."""
    return {f"{index}.{name}": torch.as_tensor(value)
            for index, values in optimiser.state_dict()["state"].items() for name, value in values.items()}


def _restore_optimiser(optimiser: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor]) -> None:
    per_parameter: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        per_parameter.setdefault(int(index), {})[name] = value
    # the parameter groups (learning rates) stay as built: the schedule sets them every step
    optimiser.load_state_dict({"state": per_parameter, "param_groups": optimiser.state_dict()["param_groups"]})
