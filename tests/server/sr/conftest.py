"""Fixtures for the super-resolution tests: seeded torch, tiny random networks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from texforge.server.sr.archs import get_family
from texforge.server.sr.archs.fast import FastSRParams
from texforge.server.sr.weights import LoadedNetwork


@pytest.fixture(autouse=True)
def seeded_torch() -> Iterator[None]:
    """Every test starts from the same torch RNG state."""
    torch.manual_seed(1234)
    yield


def tiny_fastsr(scale: int, features: int = 8, blocks: int = 1) -> LoadedNetwork:
    """A random-weight FastSR network small enough for unit tests."""
    family = get_family("fastsr")
    params = FastSRParams(features=features, blocks=blocks)
    return LoadedNetwork(family=family, scale=scale, hparams=params, network=family.build(scale, params).eval())
