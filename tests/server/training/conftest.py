"""Toolkit tests run single-threaded on tiny modules, from a seeded torch RNG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from texforge.server.training.config import RunConfig


@pytest.fixture(autouse=True)
def seeded_single_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(1234)
    yield
    torch.set_num_threads(previous)


def run_config(tmp_path: Path, **options: object) -> RunConfig:
    """A small valid RunConfig writing to ``tmp_path / out.safetensors``."""
    values: dict[str, object] = {"steps": 10, "out": tmp_path / "out.safetensors", "lr": 1.0, "batch": 1, "crop": 8}
    return RunConfig(**(values | options))  # type: ignore[arg-type]
