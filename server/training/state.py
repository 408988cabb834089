"""What a training run carries from one step to the next."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .ema import WeightAverage


@dataclass
class TrainingState:
    """The trained network and everything else a state file keeps to continue a run exactly."""

    network: nn.Module
    """The network being trained (not its average)."""
    optimiser: torch.optim.Optimizer
    """The network's optimiser; it follows the learning-rate schedule."""
    extra_modules: dict[str, nn.Module] = field(default_factory=dict)
    """Other trained modules, by name (the SR GAN's discriminator)."""
    extra_optimisers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)
    """Their optimisers, by name; they keep the learning rate they were built with."""
    numpy_rng: np.random.Generator | None = None
    """A numpy generator the run draws from (SR crops), if any."""
    average: WeightAverage | None = None
    """With ``--ema``: the average that is validated and written instead of ``network``."""
    step: int = 0
    """Optimisation steps done."""
    elapsed: float = 0.0
    """Seconds of training wall time, over every session of the run."""

    def shipped(self) -> nn.Module:
        """The network that is validated and written: the average when there is one."""
        return self.average.module if self.average is not None else self.network
