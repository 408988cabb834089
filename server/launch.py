"""Start a `texforge serve` process and learn its address: for tests, benchmarks and bridges."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence

from .memory import status_mib

_LISTENING = re.compile(r"listening on (\S+)")
_BACKEND = re.compile(r"workers connect to (\S+)\)")
_WORKING = re.compile(r"working for broker (\S+)")


class ServerProcess:
    """A server running in a child process; `address` is where it listens."""

    def __init__(self, process: subprocess.Popen, address: str, log_tail: deque[str]) -> None:
        self.process = process
        self.address = address
        self.log_tail = log_tail
        """The server's most recent stderr lines (for failure messages)."""
        self.backend = ""
        """For a broker: the address workers connect to."""

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def rss_mib(self) -> float:
        """The server's resident memory in MiB (Linux /proc)."""
        status = status_mib(self.pid, "VmRSS")
        if "VmRSS" not in status:
            raise RuntimeError(f"no VmRSS for pid {self.pid}")
        return status["VmRSS"]

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait, SIGKILL if needed; return the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server_process(
    bind: str = "tcp://127.0.0.1:*",
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    startup_timeout: float = 120.0,
) -> ServerProcess:
    """Start `texforge serve --bind BIND ...` and return once it listens."""
    return _start(["serve", "--bind", bind, *extra_args], _LISTENING, env, startup_timeout)


def start_broker_process(extra_args: Sequence[str] = (), startup_timeout: float = 60.0) -> ServerProcess:
    """Start `texforge broker` on free loopback ports; `.address` is the client side, `.backend` the workers'."""
    broker = _start(["broker", "--bind", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", *extra_args],
                    _LISTENING, None, startup_timeout)
    broker.backend = next(m.group(1) for line in broker.log_tail if (m := _BACKEND.search(line)))
    return broker


def start_worker_process(broker_backend: str, extra_args: Sequence[str] = (), startup_timeout: float = 120.0) -> ServerProcess:
    """Start `texforge worker --broker BACKEND ...` and return once it works for the broker."""
    return _start(["worker", "--broker", broker_backend, *extra_args], _WORKING, None, startup_timeout)


def _start(arguments: list[str], ready: re.Pattern[str], env: dict[str, str] | None, timeout: float) -> ServerProcess:
    command = [sys.executable, "-m", "texforge.server.cli", *arguments]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               text=True, env={**os.environ, **(env or {})})
    tail: deque[str] = deque(maxlen=200)
    try:
        address = _wait_for(process, ready, tail, timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    threading.Thread(target=_drain, args=(process, tail), daemon=True).start()
    return ServerProcess(process, address, tail)


def _wait_for(process: subprocess.Popen, ready: re.Pattern[str], tail: deque[str], timeout: float) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"process exited with status {process.returncode}: {''.join(tail)}")
        tail.append(line)
        match = ready.search(line)
        if match:
            return match.group(1)
    raise RuntimeError(f"process not ready within {timeout:g} s: {''.join(tail)}")


def _drain(process: subprocess.Popen, tail: deque[str]) -> None:
    """Keep reading stderr so the server never blocks on a full pipe."""
    assert process.stderr is not None
    for line in process.stderr:
        tail.append(line)
