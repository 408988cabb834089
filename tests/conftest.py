"""Shared fixtures: a seeded RNG, the device under test, a real server process."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded the same way in every test."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def device() -> str:
    """Device for model tests: $TEXFORGE_TEST_DEVICE or cpu."""
    return os.environ.get("TEXFORGE_TEST_DEVICE", "cpu")


def free_tcp_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def diagnostic_server() -> Iterator[object]:
    """One real server process (bicubic + diagnostic models) shared by the end-to-end tests."""
    from texforge.server.launch import start_server_process

    server = start_server_process(extra_args=["--device", "cpu", "--diagnostic-models", "--max-queue", "6"])
    yield server
    server.stop()
