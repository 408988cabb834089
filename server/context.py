"""What a running job may ask of the server: progress reporting, cancellation, its device."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

ProgressCallback = Callable[[int, int, str], None]


class JobCancelled(Exception):
    """Raised inside a job when its client asked for `cancel`; the server answers `cancelled`."""


def _ignore_progress(done: int, total: int, stage: str) -> None:
    return None


@dataclass
class JobContext:
    """Handed to every model call: report progress, check for cancellation, know the device.

    Models call `check_cancelled()` between units of work (tiles, refinement steps) so a
    cancel takes effect within one unit.
    """

    device: str = "cpu"
    progress_callback: ProgressCallback = _ignore_progress
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def progress(self, done: int, total: int, stage: str) -> None:
        """Report `done` of `total` units of the named stage."""
        self.check_cancelled()
        self.progress_callback(done, total, stage)

    def check_cancelled(self) -> None:
        """Raise JobCancelled if the client cancelled this job."""
        if self.cancel_event.is_set():
            raise JobCancelled("job cancelled by client")
