"""Start a real `texforge serve` process on a free loopback port for benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from texforge.server.launch import ServerProcess, start_server_process


@contextmanager
def running_process(*extra_args: str, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A freshly started server process (with `env` added to its environment); stopped afterwards."""
    with start_server_process(extra_args=extra_args, env=env) as server:
        yield server


@contextmanager
def running_server(*extra_args: str) -> Iterator[str]:
    """The address of a freshly started server; stopped afterwards."""
    with running_process(*extra_args) as server:
        yield server.address
