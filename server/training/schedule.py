"""Learning-rate schedule: linear warm-up, then cosine decay to ``min_lr_ratio``.

Progress is the share of ``--steps`` done or, when ``--time-limit`` binds first, the share of
the time used, so that a run stopped by its time limit still ends its decay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from .config import RunConfig


def progress(config: RunConfig, step: int, elapsed: float) -> float:
    """Share of the run done, in [0, 1]: by steps, or by time when that is further."""
    done = step / config.steps
    if config.time_limit > 0:
        done = max(done, elapsed / (config.time_limit * 60))
    return min(done, 1.0)


def learning_rate(config: RunConfig, step: int, elapsed: float) -> float:
    """The learning rate of optimisation step ``step`` (0-based) after ``elapsed`` seconds."""
    warm = min(1.0, (step + 1) / max(config.warmup, 1))
    ratio = config.min_lr_ratio
    cosine = ratio + (1 - ratio) * 0.5 * (1 + math.cos(math.pi * progress(config, step, elapsed)))
    return config.lr * warm * cosine


def set_learning_rate(optimisers: Iterable[torch.optim.Optimizer], lr: float) -> None:
    """Give every parameter group of ``optimisers`` the learning rate ``lr``, times the group's
    ``lr_scale`` where it has one."""
    for optimiser in optimisers:
        for group in optimiser.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)


def out_of_time(config: RunConfig, elapsed: float) -> bool:
    """Whether ``--time-limit`` has run out."""
    return config.time_limit > 0 and elapsed >= config.time_limit * 60


def finished(config: RunConfig, step: int, elapsed: float) -> bool:
    """Whether the run has done its steps or used its time."""
    return step >= config.steps or out_of_time(config, elapsed)
