"""The local server this Blender session manages: started on first use, reused, stopped at quit (no bpy).

A job's worker thread calls `ensure_running` before its request. A texforge server that already
answers at the address is reused (this session then never stops it); a port that something
else holds is reported as such; otherwise the server is started, its output going to
`server.log`, and the call returns once that log shows the ready line `listening on ...` and
the server answers `hello` (no fixed sleep). A server of ours that died is noted with its
last log lines and started again by the next job.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .jobs import ProgressCallback
from .remote import LocalServerError, describe_server, server_hello, something_listens, version_mismatch
from .server_env import subprocess_environment
from .server_install import no_console_window, stop_process

READY_LINE = re.compile(r"listening on (\S+)")
START_TIMEOUT_S = 180.0
"""Generous: the first start after an install compiles Python files and loads torch and the models."""
READY_POLL_S = 0.1
TAIL_LINES = 8

StatusCallback = Callable[[str, str, str], None]
"""(state, detail, warning): state is Disconnected, Starting or Connected."""


@dataclass(frozen=True)
class Launch:
    """How to start the server, read from the preferences on the main thread."""

    command: tuple[str, ...]
    address: str
    """Where clients connect; the command must make the server listen there."""
    log_path: Path
    keep_running: bool = False
    """Leave the server running when Blender quits."""
    start_timeout: float = START_TIMEOUT_S


def log_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of a log file ("" when there is none)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines)).strip()
    except OSError:
        return ""


def previous_log(path: Path) -> Path:
    """Where the previous server's log is kept when a new one starts: server.previous.log."""
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def _ignore_status(state: str, detail: str, warning: str) -> None:
    return None


class LocalServer:
    """One server process started (or found running) by this Blender session."""

    def __init__(self, on_status: StatusCallback = _ignore_status) -> None:
        self.on_status = on_status
        """Told about every change of state (from worker threads)."""
        self.keep_running = False
        """Mirrors the preference: `stop_at_exit` leaves the server running when set."""
        self.hello: dict[str, Any] = {}
        """The running server's `hello`; empty while none is known."""
        self.last_exit = ""
        """Why our previous server stopped unexpectedly, with its last log lines ("" if it never did)."""
        self._lock = threading.Lock()
        self._abort = threading.Event()
        self._process: subprocess.Popen | None = None
        self._log: IO[str] | None = None
        self._log_path: Path | None = None
        self._started_as: tuple[str, tuple[str, ...]] = ("", ())
        """(address, command) our server was started with: another in the next launch restarts it."""

    @property
    def pid(self) -> int | None:
        """Our server's process id while it runs (None for a reused server or none)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def ensure_running(self, launch: Launch, progress: ProgressCallback, cancel_event: threading.Event) -> dict[str, Any]:
        """A ready server at `launch.address`: ours, one already running there, or a new one. Returns its hello."""
        with self._lock:
            self.keep_running = launch.keep_running
            if self.pid is not None and self._started_as == (launch.address, launch.command):
                return self.hello
            if self.pid is not None:  # the address or the command (e.g. its precision) changed in the preferences
                self._stop_locked()
            crashed = self._note_unexpected_exit()
            if something_listens(launch.address):
                return self._reuse(launch)
            return self._start(launch, progress, cancel_event, crashed)

    def exit_note(self) -> str:
        """Why our server is gone, with its last log lines, when it died; "" while it runs or after `stop`."""
        process = self._process
        if process is None or process.poll() is None:
            return ""
        return self._exit_message(process)

    def stop(self) -> None:
        """Stop our server (a reused one is left alone); interrupts a start in progress."""
        self._abort.set()
        with self._lock:
            self._stop_locked()
        self._abort.clear()

    def stop_at_exit(self) -> None:
        """Blender quits or the extension is disabled: stop our server unless it should keep running."""
        if not self.keep_running:
            self.stop()

    def _reuse(self, launch: Launch) -> dict[str, Any]:
        hello = server_hello(launch.address)
        if hello is None:
            self._status("Disconnected", "")
            raise LocalServerError(f"{launch.address} is in use by another program that is not a texforge server: "
                                   "set another Server address in the texforge preferences")
        self.hello = hello
        mismatch = version_mismatch(str(hello.get("version", "?")), local=True)
        self._status("Connected", f"{describe_server(hello)} (already running)", mismatch)
        return hello

    def _start(self, launch: Launch, progress: ProgressCallback, cancel_event: threading.Event,
               after_crash: bool) -> dict[str, Any]:
        self._status("Starting", launch.address)
        progress(0, 0, "starting the local server")
        launch.log_path.parent.mkdir(parents=True, exist_ok=True)
        if launch.log_path.exists():  # keep what the previous server (perhaps a crashed one) wrote
            os.replace(launch.log_path, previous_log(launch.log_path))
        self._log, self._log_path = launch.log_path.open("w", encoding="utf-8"), launch.log_path
        self._started_as = (launch.address, launch.command)
        try:
            self._process = subprocess.Popen(launch.command, stdin=subprocess.DEVNULL, stdout=self._log,
                                             stderr=subprocess.STDOUT, env=subprocess_environment(),
                                             cwd=launch.log_path.parent, **detached())
        except OSError as error:
            self._stop_locked()
            raise LocalServerError(f"cannot start the local server (`{launch.command[0]}`): {error}") from error
        try:
            self.hello = self._wait_until_ready(launch, cancel_event, after_crash)
        except BaseException:
            self._stop_locked()
            raise
        return self.hello

    def _wait_until_ready(self, launch: Launch, cancel_event: threading.Event, after_crash: bool) -> dict[str, Any]:
        listening = self._wait_for_ready_line(launch, cancel_event)
        hello = server_hello(launch.address)
        if hello is None:
            raise LocalServerError(f"the local server listens on {listening}, but nothing answers at {launch.address}: "
                                   "make its command and the Server address agree")
        restarted = " (started again after a crash: see server.previous.log)" if after_crash else ""
        self._status("Connected", describe_server(hello) + restarted, version_mismatch(str(hello.get("version", "?")), local=True))
        return hello

    def _wait_for_ready_line(self, launch: Launch, cancel_event: threading.Event) -> str:
        """The address from the server's `listening on ...` line; raises if it exits, stalls or is cancelled first."""
        assert self._process is not None
        deadline = time.monotonic() + launch.start_timeout
        seen = ""
        with launch.log_path.open(encoding="utf-8", errors="replace") as reader:
            while True:
                seen += reader.read()
                if match := READY_LINE.search(seen):
                    return match.group(1)
                if self._process.poll() is not None:
                    raise LocalServerError(f"the local server exited while starting: {self._exit_message(self._process)}")
                if time.monotonic() > deadline:
                    raise LocalServerError(f"the local server did not get ready within {launch.start_timeout:g} s "
                                           f"(see {launch.log_path})")
                if cancel_event.wait(READY_POLL_S) or self._abort.is_set():
                    raise LocalServerError("starting the local server was cancelled")

    def _note_unexpected_exit(self) -> bool:
        """If our server died since the last job: keep the reason for the panel, clean up, return True."""
        if self._process is None or self._process.poll() is None:
            return False
        self.last_exit = self._exit_message(self._process)
        self._stop_locked()
        self._status("Disconnected", "", self.last_exit)
        return True

    def _exit_message(self, process: subprocess.Popen) -> str:
        tail = log_tail(self._log_path) if self._log_path is not None else ""
        return f"the local server stopped (exit status {process.returncode}); its last log lines: {tail or '(none)'}"

    def _stop_locked(self) -> None:
        if self._process is None and self._log is None:
            return  # nothing of ours: a reused server stays connected
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.hello = {}
        self._status("Disconnected", "")

    def _status(self, state: str, detail: str, warning: str = "") -> None:
        self.on_status(state, detail, warning)


@dataclass(frozen=True)
class ManagedStart:
    """The managed server with this job's launch settings: what `remote.ServerSettings.local` holds."""

    server: LocalServer
    launch: Launch

    def ensure_running(self, progress: ProgressCallback, cancel_event: threading.Event) -> None:
        """Start the server unless one answers at the address (blocks until it is ready)."""
        self.server.ensure_running(self.launch, progress, cancel_event)

    def exit_note(self) -> str:
        """Why the managed server stopped, with its last log lines; "" while it runs."""
        return self.server.exit_note()


def detached() -> dict[str, Any]:
    """Popen keywords that keep the server out of Blender's process group (Ctrl+C in Blender's terminal, quitting)."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | no_console_window()["creationflags"]}
    return {"start_new_session": True}
