"""Jobs and the worker pool that runs them off the request loop.

The request loop owns the ROUTER socket; workers never touch it. A worker hands each final
reply to the loop through an inproc PUSH socket (zero-copy), and publishes progress by
updating its job, which the loop turns into throttled `progress` replies and heartbeats.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import zmq

from ..protocol.codec import encode_reply
from ..protocol.constants import ErrorCode, ReplyType
from ..protocol.messages import Reply, error_reply
from .contract import JobCancelled, JobContext
from .memory import release_freed_memory
from .ops import PreparedJob
from .shm_exports import SegmentExporter

log = logging.getLogger(__name__)

RESULTS_ENDPOINT = "inproc://texforge-results"

@dataclass
class Job:
    """One queued or running request of one client."""

    routing: list[Any]
    """ROUTER envelope frames to address the client (identity, and a delimiter for REQ peers)."""
    request_id: str
    op: str
    prepared: PreparedJob
    context: JobContext
    reply_shm: bool = False
    accepted_at: float = field(default_factory=time.monotonic)
    progress_sent: tuple[int, int, str] | None = None
    progress_sent_at: float = 0.0

    @property
    def key(self) -> tuple[bytes, str]:
        """Identifies the job: the client's identity and its request id."""
        return bytes(self.routing[0]), self.request_id


class WorkerPool:
    """N threads taking jobs from a bounded queue."""

    def __init__(self, context: zmq.Context, workers: int, max_queue: int, exporter: SegmentExporter) -> None:
        self._zmq = context
        self._exporter = exporter
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max_queue)
        self._threads = [
            threading.Thread(target=self._work, name=f"texforge-worker-{i}", daemon=True) for i in range(workers)
        ]

    def start(self) -> None:
        """Start the worker threads (the results endpoint must already be bound)."""
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> bool:
        """Queue `job`; False when the queue is full."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return False
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Ask every worker to finish after its current job; wait up to `timeout` seconds."""
        for _ in self._threads:
            try:
                self._queue.put(None, timeout=0.1)
            except queue.Full:
                break
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self) -> None:
        results = self._zmq.socket(zmq.PUSH)
        results.setsockopt(zmq.LINGER, 0)
        results.connect(RESULTS_ENDPOINT)
        try:
            while (job := self._queue.get()) is not None:
                reply = execute(job)
                reply.images = self._exporter.prepare(reply.images, job.reply_shm)
                results.send_multipart([*job.routing, *encode_reply(reply)], copy=False)
                del job, reply  # an idle worker must not keep the last job's images alive
                release_freed_memory()
        finally:
            results.close(linger=0)


def execute(job: Job) -> Reply:
    """Run a job, turn its outcome (result, cancellation or failure) into the final reply, log it."""
    started = time.perf_counter()
    reply = _final_reply(job, started)
    _log_finished(job, reply, time.perf_counter() - started)
    return reply


def _final_reply(job: Job, started: float) -> Reply:
    try:
        job.context.check_cancelled()
        job.context.latest_progress = (0, 0, "running")
        images, data = job.prepared.run(job.context)
        data = {**data, "seconds": round(time.perf_counter() - started, 4)}
        return Reply(ReplyType.RESULT, job.request_id, {"data": data}, images)
    except JobCancelled:
        return error_reply(job.request_id, ErrorCode.CANCELLED, "job cancelled by client")
    except ValueError as exc:
        return error_reply(job.request_id, ErrorCode.BAD_REQUEST, str(exc))
    except MemoryError:
        return error_reply(job.request_id, ErrorCode.INTERNAL, "out of memory; try a smaller image or tile")
    except Exception as exc:  # a failing job must never take the server down
        log.exception("job %s (%s) failed", job.request_id, job.op)
        return error_reply(job.request_id, ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}")


def _log_finished(job: Job, reply: Reply, seconds: float) -> None:
    """One line per finished job: op, model, input, seconds, outcome (errors at WARNING, with the code)."""
    where = f"{job.op} {job.prepared.model} {job.prepared.summary} in {seconds:.2f} s"
    if reply.type == ReplyType.RESULT:
        log.info("%s: ok", where)
    else:
        log.warning("%s: %s: %s", where, reply.body.get("code"), reply.body.get("message"))
