"""The adapter every network family exposes to the registry (spandrel-style)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

StateDict = Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class ArchFamily:
    """One network family: how to build it, and how to recognise its state dicts."""

    name: str
    """Architecture name stored in weight files (`texforge.arch`)."""
    hparams_type: type[Any]
    """Frozen dataclass of the family's hyper-parameters."""
    build: Callable[[int, Any], nn.Module]
    """`build(scale, hparams) -> nn.Module`."""
    detect: Callable[[StateDict], bool]
    """True when a state dict (with our or a well-known key layout) belongs to this family."""
    infer: Callable[[StateDict], tuple[int, Any]]
    """`(scale, hparams)` read from the tensor shapes of a detected state dict."""
    scales: tuple[int, ...] = (2, 4)
    supports_half: bool = True
    tile_margin: Callable[[Any], int] = lambda hparams: 24
    """LR pixels of context a tile needs on each side so that tiled output matches whole-image output."""
    bytes_per_input_pixel: Callable[[Any], int] = lambda hparams: 4096
    """Peak inference memory per input pixel, which sizes the tiles."""

    def hparams_from_dict(self, values: Mapping[str, Any]) -> Any:
        """Hyper-parameters from a JSON mapping; unknown keys raise ValueError."""
        known = set(self.hparams_type.__dataclass_fields__)
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown {self.name} hyper-parameters: {sorted(unknown)}")
        return self.hparams_type(**values)

    def check_scale(self, scale: int) -> None:
        """Raise ValueError when the family cannot build a network of this scale."""
        if scale not in self.scales:
            raise ValueError(f"{self.name} supports scales {self.scales}, not {scale}")


def has_keys(state_dict: StateDict, *keys: str) -> bool:
    """Whether every key is present."""
    return all(key in state_dict for key in keys)


def count_indexed(state_dict: StateDict, prefix: str, suffix: str) -> int:
    """Number of consecutive indices i with `f"{prefix}{i}{suffix}"` in the state dict."""
    count = 0
    while f"{prefix}{count}{suffix}" in state_dict:
        count += 1
    return count
