"""How a run starts (``--init`` or ``--resume``) and the loop every trainer runs.

A trainer supplies a step function (one optimisation step at a given step index, returning its
named losses) and a publish function (validate the shipped network and write the output
weights); the loop sets the learning rate, keeps the weight average, logs, and validates,
publishes and writes the state file every ``--val-every`` steps and when the run ends.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..device import cpu_has_native_bf16
from .cards import carried_stages
from .checkpoint import load_state, resumes, save_state, state_path
from .config import RunConfig
from .ema import WeightAverage
from .schedule import finished, learning_rate, out_of_time, set_learning_rate
from .state import TrainingState

logger = logging.getLogger(__name__)

WeightsReader = Callable[[Path], tuple[nn.Module, Mapping[str, Any]]]
"""Reads a weights file in the trainer's format: (network, model card)."""
InitAdopter = Callable[[nn.Module, nn.Module], None]
"""Copies an --init network's weights into the network to train (matching or grown tensors)."""
StepFunction = Callable[[int], Mapping[str, float]]
"""One optimisation step at a 0-based step index, learning rate already set; its named losses."""
PublishFunction = Callable[[nn.Module, Mapping[str, float]], None]
"""Validates the shipped network and writes the output weights; gets the recent mean losses."""


def configure_torch(config: RunConfig) -> RunConfig:
    """Threads and seed of the process, set before anything is built; the config the run keeps.

    ``--bf16`` on a CPU that only emulates bf16 (no AVX512-BF16 or AMX) runs in fp32 instead:
    emulated autocast made a FastSR 64 x 16 training step about 10x slower than fp32 on an AVX2
    CPU (50 s against 4.6 s), which no precision saving repays. The card then says fp32.
    """
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    # Tiny Adam moments and near-zero residual weights turn denormal after a few thousand steps, and
    # denormal arithmetic is many times slower on x86: a run went from 0.4 to 2 s per step.
    torch.set_flush_denormal(True)
    if not config.bf16:
        return config
    if not cpu_has_native_bf16():
        logger.warning("--bf16 ignored: this CPU only emulates bf16 (about 10x slower than fp32); training in fp32")
        return dataclasses.replace(config, bf16=False)
    logger.info("bf16 autocast on; this CPU computes bf16 natively")
    return config


def start(config: RunConfig, state: TrainingState, read: WeightsReader, adopt: InitAdopter) -> list[dict[str, Any]]:
    """Load what the run starts from into ``state``; return the card stages it carries on.

    Resumed: the weights of ``--out`` (with ``--ema`` the average, which seeds the new one),
    then the state file (trained weights, optimisers, RNGs, step, time). With ``--init``: that
    file's network through ``adopt``. A resumed run ignores ``--init``: ``--out`` has moved on.
    """
    resumed = resumes(config)
    source = config.out if resumed else config.init
    card: Mapping[str, Any] = {}
    if source is not None:
        network, card = read(source)
        if resumed:
            state.network.load_state_dict(network.state_dict())
        else:
            adopt(state.network, network)
            logger.info("initialised from %s", source)
    if config.ema > 0:
        state.average = WeightAverage(state.network, config.ema)
    if resumed:
        load_state(state_path(config.out), state)
        logger.info("resumed %s at step %d", config.out, state.step)
    return carried_stages(card, resumed)


def run_loop(config: RunConfig, state: TrainingState, step: StepFunction, publish: PublishFunction) -> None:
    """Train ``state`` until ``schedule.finished``; publish and save the state on the way."""
    started = time.monotonic() - state.elapsed
    losses = _LossWindow()
    while not finished(config, state.step, state.elapsed):
        lr = learning_rate(config, state.step, state.elapsed)
        set_learning_rate([state.optimiser], lr)
        losses.add(step(state.step))
        if state.average is not None:
            state.average.update(state.network)
        state.step += 1
        state.elapsed = time.monotonic() - started
        logged = state.step % config.log_every == 0
        if logged:
            logger.info("step %d lr %.2e %.1f min %s", state.step, lr, state.elapsed / 60, losses)
        if state.step % config.val_every == 0 or finished(config, state.step, state.elapsed):
            save_state(state_path(config.out), state)
            publish(state.shipped(), losses.means())
        if logged:
            losses.reset()
    if out_of_time(config, state.elapsed):
        logger.info("time limit reached at step %d", state.step)


class _LossWindow:
    """Means of named losses since the last log line."""

    def __init__(self) -> None:
        self._sums: dict[str, float] = {}
        self._count = 0

    def add(self, losses: Mapping[str, float]) -> None:
        for name, value in losses.items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._count += 1

    def means(self) -> dict[str, float]:
        return {name: total / max(self._count, 1) for name, total in self._sums.items()}

    def reset(self) -> None:
        self._sums, self._count = {}, 0

    def __str__(self) -> str:
        return " ".join(f"{name} {value:.5f}" for name, value in self.means().items())
