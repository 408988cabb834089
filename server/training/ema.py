"""Exponential moving average of a network's weights (Polyak averaging)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """Exponential moving average of a network's weights.

    Small batches make single checkpoints noisy: how the material network reads a given
    material swings from one validation to the next. The average over the last ~1/(1-decay)
    steps is the smoother estimate of the same training run.
    """

    def __init__(self, network: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"--ema decay must lie in (0, 1), got {decay}")
        self.decay = decay
        """Share of the average kept at every update."""
        self.module = copy.deepcopy(network)
        """The averaged copy: validated and written instead of the trained network."""
        self.module.requires_grad_(False)

    @torch.no_grad()
    def update(self, network: nn.Module) -> None:
        """Move the average a step of ``1 - decay`` towards ``network``'s current weights."""
        for averaged, current in zip(self.module.state_dict().values(), network.state_dict().values(), strict=True):
            if averaged.is_floating_point():
                averaged.lerp_(current, 1.0 - self.decay)
            else:
                averaged.copy_(current)
