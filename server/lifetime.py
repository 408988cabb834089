"""Stop the server when the program that started it is gone (`texforge serve --exit-with PID`).

A DCC tool that starts a server for itself (the Blender extension) stops it when it quits; when
the tool crashes, nothing would, and the orphan would hold its models' memory and its port until
the machine restarts. So such a tool passes its own process id, and the server stops by itself
within a second or two of that process's end.
"""

from __future__ import annotations

import logging
import threading

from ..protocol.processes import process_alive

log = logging.getLogger(__name__)

POLL_S = 1.0


def check_running(pid: int) -> None:
    """ValueError unless ``pid`` names a running process (0 and negative ids name process groups)."""
    if not process_alive(pid):
        raise ValueError(f"--exit-with {pid}: no such process")


def stop_when_gone(pid: int, stop: threading.Event, poll_s: float = POLL_S) -> threading.Thread:
    """Set ``stop`` once process ``pid`` has exited (checked every ``poll_s`` seconds).

    A process id can be reused after its process ends; within the polling interval that is
    vanishingly rare, and the server then merely outlives its tool, as it did before."""

    def watch() -> None:
        while not stop.wait(poll_s):
            if not process_alive(pid):
                log.info("process %d, which this server was started for, has exited: stopping", pid)
                stop.set()

    watcher = threading.Thread(target=watch, name="exit-with", daemon=True)
    watcher.start()
    return watcher
