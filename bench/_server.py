"""Start a real `texforge serve` process on a free loopback port for benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from texforge.server.launch import start_server_process


@contextmanager
def running_server(*extra_args: str) -> Iterator[str]:
    """Yield the address of a freshly started server; stop it afterwards."""
    with start_server_process(extra_args=extra_args) as server:
        yield server.address
