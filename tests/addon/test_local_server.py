"""The managed local server (bpy-free) against real `texforge serve` processes: start, reuse, crash, quit."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from texforge.protocol import UpscaleArgs
from texforge.protocol.processes import process_alive
from texforge.protocol.version import __version__
from texforge.server.launch import start_server_process
from texforge.server.sr.int8 import kernels_available

from ..conftest import free_tcp_port
from .pure_modules import load

local_server = load("local_server")
remote = load("remote")


class Statuses:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, state: str, detail: str, warning: str) -> None:
        self.seen.append((state, detail, warning))


def no_progress(done: int, total: int, stage: str) -> None:
    return None


def serve_launch(tmp_path: Path, *extra: str, keep_running: bool = False) -> object:
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    command = (sys.executable, "-m", "texforge.server.cli", "serve", "--bind", address, "--device", "cpu", *extra)
    return local_server.Launch(command, address, tmp_path / "server.log", keep_running=keep_running)


def other_launch(tmp_path: Path, code: str, **keywords) -> object:
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    return local_server.Launch((sys.executable, "-c", code), address, tmp_path / "server.log", **keywords)


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_alive(pid)


def test_the_first_job_starts_the_server_the_next_reuses_it_and_stop_ends_it(tmp_path: Path) -> None:
    statuses = Statuses()
    server = local_server.LocalServer(statuses)
    launch = serve_launch(tmp_path)
    hello = server.ensure_running(launch, no_progress, threading.Event())
    pid = server.pid
    assert hello["pid"] == pid and hello["version"] == __version__  # the one release version, reported by hello
    assert [state for state, _, _ in statuses.seen] == ["Starting", "Connected"]
    assert "cpu" in statuses.seen[-1][1] and statuses.seen[-1][2] == ""
    assert "listening on" in launch.log_path.read_text()
    server.ensure_running(launch, no_progress, threading.Event())
    assert server.pid == pid  # no second process
    server.stop()
    assert server.pid is None and wait_gone(pid) and statuses.seen[-1][0] == "Disconnected"


@pytest.mark.skipif(not kernels_available(), reason="this torch has no x86 int8 kernels")
def test_a_changed_command_restarts_our_server_with_it(tmp_path: Path) -> None:
    """The preferences' precision (or server command) changed while our server ran: the next job gets the new one."""
    server = local_server.LocalServer()
    first = serve_launch(tmp_path, "--precision", "fp32")
    assert server.ensure_running(first, no_progress, threading.Event())["precision"] == "fp32"
    old_pid = server.pid
    changed = local_server.Launch(first.command[:-1] + ("int8",), first.address, first.log_path)
    try:
        hello = server.ensure_running(changed, no_progress, threading.Event())
        assert server.pid not in (None, old_pid) and wait_gone(old_pid)
        assert hello["precision"] == "int8"
        assert hello["pid"] == server.pid
    finally:
        server.stop()


def test_a_server_already_running_at_the_address_is_reused_and_left_running(tmp_path: Path) -> None:
    with start_server_process(extra_args=["--device", "cpu"]) as external:
        statuses = Statuses()
        server = local_server.LocalServer(statuses)
        launch = local_server.Launch(("/no/such/texforge",), external.address, tmp_path / "server.log")
        hello = server.ensure_running(launch, no_progress, threading.Event())
        assert hello["pid"] == external.pid and server.pid is None
        assert statuses.seen[-1][0] == "Connected" and statuses.seen[-1][1].endswith("(already running)")
        server.stop()
        assert external.process.poll() is None


def test_a_port_held_by_another_program_is_reported_as_such(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        server = local_server.LocalServer()
        launch = local_server.Launch(("/no/such/texforge",), address, tmp_path / "server.log")
        with pytest.raises(remote.LocalServerError, match="in use by another program that is not a texforge server"):
            server.ensure_running(launch, no_progress, threading.Event())
    assert server.pid is None


def test_a_crashed_server_is_reported_with_its_last_lines_and_started_again(tmp_path: Path) -> None:
    statuses = Statuses()
    server = local_server.LocalServer(statuses)
    launch = serve_launch(tmp_path)
    server.ensure_running(launch, no_progress, threading.Event())
    first = server.pid
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not server.exit_note() and time.monotonic() < deadline:
        time.sleep(0.05)
    note = server.exit_note()
    assert "exit status -9" in note and "listening on" in note
    server.ensure_running(launch, no_progress, threading.Event())
    assert server.pid not in (None, first)
    assert "exit status -9" in server.last_exit
    assert any(state == "Disconnected" and "exit status -9" in warning for state, _, warning in statuses.seen)
    assert statuses.seen[-1][0] == "Connected" and "started again" in statuses.seen[-1][1]
    assert "listening on" in local_server.previous_log(launch.log_path).read_text()  # the crashed server's log is kept
    server.stop()


def test_a_server_that_dies_mid_job_fails_the_job_with_the_reason(tmp_path: Path) -> None:
    server = local_server.LocalServer()
    launch = serve_launch(tmp_path, "--diagnostic-models")
    settings = remote.ServerSettings(launch.address, 3.0, local_server.ManagedStart(server, launch))
    server.ensure_running(launch, no_progress, threading.Event())
    threading.Timer(1.5, os.kill, (server.pid, signal.SIGKILL)).start()
    image = np.zeros((8, 8, 3), np.uint8)
    image[0, 0, 0] = 100  # the slow diagnostic model works ~10 s on this
    with pytest.raises(remote.LocalServerError, match=r"stopped \(exit status -9\)"):
        remote.upscale(settings, image, UpscaleArgs(scale=2, model="diagnostic-slow"), "srgb", no_progress, threading.Event())
    server.stop()


def test_a_server_that_exits_while_starting_says_why(tmp_path: Path) -> None:
    server = local_server.LocalServer()
    launch = other_launch(tmp_path, "import sys; print('ImportError: no module named torch', file=sys.stderr); sys.exit(3)")
    with pytest.raises(remote.LocalServerError, match=r"exited while starting: .*exit status 3.*no module named torch"):
        server.ensure_running(launch, no_progress, threading.Event())
    assert server.pid is None


def test_no_ready_line_in_time_or_a_cancel_stops_the_start(tmp_path: Path) -> None:
    server = local_server.LocalServer()
    stalled = other_launch(tmp_path, "import time; time.sleep(60)", start_timeout=1.0)
    with pytest.raises(remote.LocalServerError, match="did not get ready within 1 s"):
        server.ensure_running(stalled, no_progress, threading.Event())
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(remote.LocalServerError, match="cancelled"):
        server.ensure_running(other_launch(tmp_path, "import time; time.sleep(60)"), no_progress, cancel)
    assert time.monotonic() - started < 10 and server.pid is None


def test_quitting_stops_the_server_unless_it_should_keep_running(tmp_path: Path) -> None:
    server = local_server.LocalServer()
    kept = serve_launch(tmp_path, keep_running=True)
    server.ensure_running(kept, no_progress, threading.Event())
    pid = server.pid
    server.stop_at_exit()
    assert process_alive(pid)
    server.keep_running = False
    server.stop_at_exit()
    assert wait_gone(pid)
