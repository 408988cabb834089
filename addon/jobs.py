"""Background jobs: work in a thread, results applied on the main thread (no bpy).

A job's `work` runs off the main thread and must not touch bpy; it gets a progress callback and
the job's cancel event. Its `apply` runs on the main thread, from `JobRunner.poll()`, which
Blender calls from a timer (the UI) and scripts or tests call themselves (headless Blender never
fires timers). `synchronous=True` runs the very same path inline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
Work = Callable[[ProgressCallback, threading.Event], Any]
Apply = Callable[[Any], str]
"""Main-thread step: applies the work's result, returns a one-line summary for the user."""


class JobState(Enum):
    """Where a job is in its life."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Job:
    """One unit of background work and what it reported."""

    label: str
    work: Work
    apply: Apply
    explain: Callable[[BaseException], str] = str
    """Turns an exception from `work` or `apply` into a message for the user."""
    cancel_event: threading.Event = field(default_factory=threading.Event)
    state: JobState = JobState.RUNNING
    message: str = ""
    """Summary on success, the explanation on failure."""
    done: int = 0
    total: int = 0
    stage: str = "queued"
    _result: Any = None
    _error: BaseException | None = None
    _finished: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Ask the work to stop; the job ends CANCELLED once the server confirms."""
        self.cancel_event.set()

    @property
    def fraction(self) -> float:
        """Progress in [0, 1] (0 until the server reports a total)."""
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    @property
    def work_finished(self) -> bool:
        """The work returned or raised (its result may not be applied yet)."""
        return self._finished.is_set()

    def wait(self, timeout: float) -> bool:
        """Block until the work returned or raised, at most `timeout` seconds; whether it did."""
        return self._finished.wait(timeout)

    def report_progress(self, done: int, total: int, stage: str) -> None:
        """Progress callback handed to the work (called from its thread)."""
        self.done, self.total, self.stage = done, total, stage

    def run_work(self) -> None:
        """Run `work`, keeping its result or exception for the main thread."""
        try:
            self._result = self.work(self.report_progress, self.cancel_event)
        except Exception as error:  # any failure must reach the main thread as a message
            self._error = error
        finally:
            self._finished.set()

    def finish(self) -> None:
        """Main thread: apply the result, or record why there is none."""
        if self._error is None and self.cancel_event.is_set():
            self._end(JobState.CANCELLED, f"{self.label}: cancelled")
            return
        if self._error is not None:
            self._fail(self._error)
            return
        try:
            self._end(JobState.SUCCEEDED, self.apply(self._result))
        except Exception as error:  # a failed apply leaves Blender running and says why
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        if self.cancel_event.is_set():
            self._end(JobState.CANCELLED, f"{self.label}: cancelled")
            return
        log.debug("%s failed", self.label, exc_info=error)
        self._end(JobState.FAILED, f"{self.label}: {self.explain(error)}")

    def _end(self, state: JobState, message: str) -> None:
        self.state, self.message = state, message
        self._result = None


class JobRunner:
    """Starts jobs and, on the main thread, applies those whose work has finished."""

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self.last_message = ""
        """The latest finished job's message, for the panels."""

    def start(self, job: Job, *, synchronous: bool = False) -> Job:
        """Run `job`: inline and applied before returning, or in a daemon thread."""
        if synchronous:
            job.run_work()
            self._conclude(job)
            return job
        with self._lock:
            self._jobs.append(job)
        threading.Thread(target=job.run_work, name=f"texforge: {job.label}", daemon=True).start()
        return job

    def active(self) -> list[Job]:
        """Jobs not applied yet, oldest first."""
        with self._lock:
            return list(self._jobs)

    def poll(self) -> list[Job]:
        """Main thread: apply every job whose work finished; return them."""
        with self._lock:
            finished = [job for job in self._jobs if job.work_finished]
            self._jobs = [job for job in self._jobs if not job.work_finished]
        for job in finished:
            self._conclude(job)
        return finished

    def cancel_all(self) -> int:
        """Ask every active job to stop; return how many were asked."""
        jobs = self.active()
        for job in jobs:
            job.cancel()
        return len(jobs)

    def _conclude(self, job: Job) -> None:
        job.finish()
        self.last_message = job.message
        log.info("%s", job.message)
