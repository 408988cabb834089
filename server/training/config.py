"""The options every trainer takes, declared once: ``RunConfig`` and ``add_run_arguments``."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunConfig:
    """How long, how fast and where to a run trains, whatever the network."""

    steps: int
    """Optimisation steps; the schedule's length."""
    out: Path
    """Output weights file; its state file lies next to it (``checkpoint.state_path``)."""
    lr: float
    """Peak learning rate."""
    batch: int
    crop: int
    """Side in pixels of the network's training input (SR: the low-resolution crop)."""
    resume: bool = False
    """Continue from ``out`` and its state file."""
    init: Path | None = None
    """Weights to start from, with a fresh optimiser and schedule."""
    warmup: int = 0
    """Linear warm-up steps."""
    min_lr_ratio: float = 0.01
    """The cosine decay ends at ``lr * min_lr_ratio``."""
    seed: int = 0
    threads: int = 0
    """Torch CPU threads; 0 keeps torch's default."""
    time_limit: float = 0.0
    """Minutes of wall time (0: none); the schedule follows time when it binds."""
    val_every: int = 1000
    log_every: int = 100
    ema: float = 0.0
    """Decay of the weight average that is validated and written (0: off)."""
    bf16: bool = False
    """Forward passes under bfloat16 autocast; losses and optimiser state stay fp32."""

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "crop", "val_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{_flag(name)} must be at least 1, got {getattr(self, name)}")
        for name in ("lr", "warmup", "threads", "time_limit"):
            if getattr(self, name) < 0:
                raise ValueError(f"{_flag(name)} must not be negative, got {getattr(self, name)}")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise ValueError(f"--min-lr-ratio must lie in [0, 1], got {self.min_lr_ratio}")

    @classmethod
    def from_namespace(cls, namespace: argparse.Namespace) -> RunConfig:
        """The shared options of a namespace parsed with ``add_run_arguments``'s options."""
        return cls(**{field.name: getattr(namespace, field.name) for field in dataclasses.fields(cls)})


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


_HELP = {
    "steps": "optimisation steps (the schedule's length)",
    "out": "output FILE.safetensors; FILE.state.safetensors next to it lets --resume continue",
    "resume": "continue from --out and its state file (starts fresh while --out does not exist)",
    "init": "start from these weights with a fresh optimiser and schedule; the card carries their stages on",
    "lr": "peak learning rate",
    "warmup": "linear warm-up steps",
    "min_lr_ratio": "the cosine decay ends at this fraction of --lr",
    "seed": "seed of every random draw",
    "threads": "torch CPU threads (0: torch's default)",
    "batch": "batch size",
    "crop": "side in pixels of the network's training input",
    "time_limit": "minutes (0: none); stop and save then, and follow the LR schedule by time when it binds",
    "val_every": "validate and write the output and state file every N steps",
    "log_every": "log the mean losses every N steps",
    "ema": "validate and write an exponential moving average of the weights with this decay (0: off; e.g. 0.999)",
    "bf16": "run forward passes under bfloat16 autocast (losses and optimiser state stay fp32)",
}


def add_run_arguments(parser: argparse.ArgumentParser, **defaults: Any) -> None:
    """Declare the shared options on ``parser``; ``defaults`` are the trainer's own (``batch=4``).

    Options without a default here or in ``RunConfig`` are required. Every option's help shows
    its default.
    """
    fields = {field.name: field for field in dataclasses.fields(RunConfig)}
    hints = typing.get_type_hints(RunConfig)
    unknown = sorted(set(defaults) - set(fields))
    if unknown:
        raise ValueError(f"no shared training option is called {', '.join(unknown)}")
    # `texforge train` builds the sub-parser in cli.py; the formatter is set here so that both
    # entry points show the defaults.
    parser.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    for name, field in fields.items():
        default = defaults.get(name, field.default)
        kind = _value_type(hints[name])
        if kind is bool:
            parser.add_argument(_flag(name), action="store_true", help=_HELP[name])
        elif default is dataclasses.MISSING:
            parser.add_argument(_flag(name), type=kind, required=True, help=_HELP[name])
        else:
            parser.add_argument(_flag(name), type=kind, default=default, help=_HELP[name])


def _value_type(hint: Any) -> Any:
    """``Path`` for ``Path | None``; the hint itself otherwise."""
    members = [member for member in typing.get_args(hint) if member is not type(None)]
    return members[0] if members else hint
