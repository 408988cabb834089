"""Fixtures for the super-resolution tests: seeded torch, tiny random networks, tiny training folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

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


def write_images(folder: Path, count: int, rng: np.random.Generator, size: int = 48) -> Path:
    folder.mkdir()
    for index in range(count):
        yy, xx = np.mgrid[:size, :size]
        stripes = 0.5 + 0.5 * np.sin(xx / (2 + index) + yy / 3)[..., None] * rng.random(3)
        Image.fromarray((stripes * 255).astype(np.uint8)).save(folder / f"img{index}.png")
    return folder


@pytest.fixture
def folders(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, Path]:
    return write_images(tmp_path / "train", 3, rng), write_images(tmp_path / "val", 1, rng)
