"""`texforge serve --exit-with PID`: a server started for a tool stops when the tool is gone, crash included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from texforge.protocol import Client
from texforge.protocol.processes import process_alive
from texforge.server.launch import start_server_process
from texforge.server.lifetime import check_running, stop_when_gone


def _tool() -> subprocess.Popen:
    """Stands in for Blender: a process that runs until it is killed."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


def test_process_alive_tells_running_from_gone() -> None:
    tool = _tool()
    assert process_alive(os.getpid()) and process_alive(tool.pid)
    tool.kill()
    tool.wait()  # reaped, as a crashed tool's parent (the desktop, a shell) reaps it
    assert not process_alive(tool.pid)
    for gone in (tool.pid, 0, -1):
        with pytest.raises(ValueError, match="no such process"):
            check_running(gone)


def test_the_watch_sets_stop_once_the_process_is_gone() -> None:
    tool, stop = _tool(), threading.Event()
    stop_when_gone(tool.pid, stop, poll_s=0.05)
    assert not stop.wait(0.3)
    tool.kill()
    tool.wait()
    assert stop.wait(2.0)


@pytest.mark.timeout(180)
def test_a_server_started_for_a_tool_stops_when_the_tool_crashes() -> None:
    tool = _tool()
    server = start_server_process(extra_args=["--device", "cpu", "--diagnostic-models", "--exit-with", str(tool.pid)])
    try:
        with Client(server.address, timeout=10.0) as client:
            assert client.ping()
        time.sleep(1.5)
        assert server.process.poll() is None, "the server stopped while its tool still ran"
        tool.send_signal(signal.SIGKILL)  # a crash: the tool stops nothing on its way out
        tool.wait()
        deadline = time.monotonic() + 10.0
        while server.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.process.returncode == 0, "the server outlived its tool"
        assert any("has exited: stopping" in line for line in server.log_tail)
    finally:
        server.stop()
        if tool.poll() is None:
            tool.kill()
            tool.wait()


def test_an_exit_with_process_that_does_not_run_is_refused_at_once() -> None:
    tool = _tool()
    tool.kill()
    tool.wait()
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "texforge.server.cli", "serve", "--bind", "tcp://127.0.0.1:0",
                             "--exit-with", str(tool.pid)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--exit-with" in lines[0] and "no such process" in lines[0], result.stderr
    assert time.monotonic() - started < 30
