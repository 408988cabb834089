"""The request loop: one ROUTER socket, immediate ops answered inline, jobs handed to workers.

The loop never runs a model, so `ping`, `hello`, `models` and `cancel` are answered while
long jobs run. It never trusts a message: anything malformed is answered with an `error`
reply (addressed to the request id when one can be read) and the loop goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq

from ..protocol.codec import decode_header, encode_reply, request_from_header, request_id_of
from ..protocol.constants import PROTOCOL_MINOR, PROTOCOL_VERSION, ErrorCode, Op, ReplyType
from ..protocol.curve import CurveClientKeys
from ..protocol.errors import ProtocolError
from ..protocol.heartbeat import set_heartbeats
from ..protocol.messages import Reply, Request, error_reply
from .config import ServerConfig
from .contract import JobContext
from .device import describe_device
from .jobs import RESULTS_ENDPOINT, Job, WorkerPool
from .memory import memory_report
from .ops import PREPARERS
from .ops.common import upscale_defaults
from .registry import ModelRegistry
from .routing import Delivery, drain, send_routed, split_envelope
from .scaleout.worker_link import BrokerLink
from .security import CurveSettings, check_bind_policy, secure_router
from .shm_exports import SegmentExporter
from .version import __version__

log = logging.getLogger(__name__)


class Server:
    """A texforge inference server bound to one address."""

    def __init__(self, registry: ModelRegistry, config: ServerConfig, context: zmq.Context | None = None) -> None:
        self.registry = registry
        self.config = config
        self._zmq = context or zmq.Context.instance()
        self._router = self._zmq.socket(zmq.ROUTER)
        self._results = self._zmq.socket(zmq.PULL)
        self._exports = SegmentExporter()
        self._pool = WorkerPool(self._zmq, config.workers, config.limits.max_queue, self._exports)
        self._jobs: dict[tuple[bytes, str], Job] = {}
        self._authenticator: Any = None
        self._broker: BrokerLink | None = None
        self._immediate: dict[str, Callable[[list[Any], Request], Reply]] = {
            Op.PING: self._ping,
            Op.HELLO: self._hello,
            Op.MODELS: self._models,
            Op.ECHO: self._echo,
            Op.CANCEL: self._cancel,
        }
        self.endpoint = ""

    # --- lifecycle --------------------------------------------------------------------

    def bind(self) -> str:
        """Bind the ROUTER (a `*` port picks a free one) and start workers; return the endpoint."""
        limits = self.config.limits
        curve = _curve_settings(self.config)
        check_bind_policy(self.config.bind, curve is not None, self.config.insecure)
        if curve is not None:
            self._authenticator = secure_router(self._zmq, self._router, curve)
        self._router.setsockopt(zmq.LINGER, 0)
        self._router.setsockopt(zmq.ROUTER_MANDATORY, 1)  # unroutable replies raise: we learn a client left
        set_heartbeats(self._router)
        self._router.setsockopt(zmq.MAXMSGSIZE, limits.max_message_bytes + limits.max_header_bytes)
        self._router.bind(self.config.bind)
        self.endpoint = self._router.getsockopt_string(zmq.LAST_ENDPOINT)
        self._start_workers()
        return self.endpoint

    def attach(self, broker_address: str, curve: CurveClientKeys | None = None) -> str:
        """Work for a broker instead of binding: connect to its backend and register."""
        self._router.close(linger=0)
        self._broker = BrokerLink(self._zmq, broker_address, self.config.limits.max_queue, curve, {
            "pid": os.getpid(), "device": describe_device(self.config.device)})
        self._router = self._broker.connect()
        self._start_workers()
        self.endpoint = broker_address
        return broker_address

    def _start_workers(self) -> None:
        """Bind the workers' results endpoint, then start them (they connect to it)."""
        self._results.setsockopt(zmq.LINGER, 0)
        self._results.bind(RESULTS_ENDPOINT)
        self._pool.start()

    def serve_forever(self, stop: threading.Event) -> None:
        """Serve until `stop` is set."""
        tick_ms = max(1, int(self.config.progress_interval_s * 500))
        poller, polled = zmq.Poller(), None
        while not stop.is_set():
            if polled is not self._router:  # a worker that reconnected to its broker has a new socket
                poller = zmq.Poller()
                poller.register(self._router, zmq.POLLIN)
                poller.register(self._results, zmq.POLLIN)
                polled = self._router
            events = dict(poller.poll(tick_ms))
            if self._results in events:
                drain(self._results, self._forward_result)
            if self._router in events:
                drain(self._router, self._handle_frames)
            self._send_progress()
            self._exports.sweep()
            if self._broker is not None:
                self._router = self._broker.tick(self._router)

    def close(self) -> None:
        """Cancel running jobs, stop workers and close sockets."""
        for job in self._jobs.values():
            job.context.cancel_event.set()
        self._pool.stop()
        self._exports.close()
        self._router.close(linger=0)
        self._results.close(linger=0)
        if self._authenticator is not None:
            self._authenticator.stop()

    # --- message plumbing -------------------------------------------------------------

    def _send(self, routing: list[Any], reply: Reply) -> None:
        self._route([*routing, *encode_reply(reply)])

    def _route(self, frames: list[Any]) -> None:
        """Send to a client; a client that left has its jobs cancelled, a stalled one loses the message."""
        delivery = send_routed(self._router, frames)
        if delivery is Delivery.GONE:
            self._client_gone(bytes(frames[0]))
        elif delivery is Delivery.STALLED:
            log.warning("client %s is not reading; reply dropped", bytes(frames[0]).hex())

    def _client_gone(self, identity: bytes) -> None:
        for (owner, request_id), job in self._jobs.items():
            if owner == identity and not job.context.cancel_event.is_set():
                log.info("client of request %s is gone; cancelling its job", request_id)
                job.context.cancel_event.set()

    def _forward_result(self, frames: list[Any]) -> None:
        routing, payload = split_envelope(frames)
        header = decode_header(payload[0], self.config.limits)
        self._jobs.pop((bytes(routing[0]), str(header.get("re"))), None)
        self._route(frames)

    def _handle_frames(self, frames: list[Any]) -> None:
        if self._broker is not None and self._broker.heard(frames):
            return
        routing, payload = split_envelope(frames)
        request_id: str | None = None
        if not payload:
            self._send(routing, error_reply(None, ErrorCode.BAD_REQUEST, "empty message"))
            return
        try:
            header = decode_header(payload[0], self.config.limits)
            request_id = request_id_of(header)
            request = request_from_header(header, payload, self.config.limits, self.config.shared_memory)
            self._dispatch(routing, request)
        except ProtocolError as exc:
            self._send(routing, error_reply(request_id, exc.code, exc.message))
        except Exception as exc:  # one bad message must never stop the loop
            log.exception("unexpected failure handling request %s", request_id)
            self._send(routing, error_reply(request_id, ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}"))

    def _dispatch(self, routing: list[Any], request: Request) -> None:
        handler = self._immediate.get(request.op)
        if handler is not None:
            reply = handler(routing, request)
            reply.images = self._exports.prepare(reply.images, request.reply_shm and self.config.shared_memory)
            self._send(routing, reply)
        elif request.op in PREPARERS:
            self._enqueue(routing, request)
        else:
            known = ", ".join(op.value for op in Op)
            raise ProtocolError(ErrorCode.UNKNOWN_OP, f"unknown op {request.op!r}; known ops: {known}")

    # --- immediate ops ----------------------------------------------------------------

    def _ping(self, routing: list[Any], request: Request) -> Reply:
        return _result(request, {"time": time.time()})

    def _hello(self, routing: list[Any], request: Request) -> Reply:
        return _result(request, {
            "server": "texforge",
            "version": __version__,
            "protocol": {"major": PROTOCOL_VERSION, "minor": PROTOCOL_MINOR},
            "device": describe_device(self.config.device),
            "precision": self.config.precision,
            "ops": [op.value for op in Op],
            "limits": self.config.limits.to_wire(),
            "memory": memory_report(),
            "workers": self.config.workers,
            "shared_memory": self.config.shared_memory,
            "jobs": len(self._jobs),
            "pid": os.getpid(),
        })

    def _models(self, routing: list[Any], request: Request) -> Reply:
        descriptors = self.registry.descriptors()
        defaults = {kind: self.registry.default_name(kind) for kind in {d.kind for d in descriptors}}
        return _result(request, {"models": [d.to_wire() for d in descriptors], "defaults": defaults,
                                 "upscale_defaults": upscale_defaults(self.registry)})

    def _echo(self, routing: list[Any], request: Request) -> Reply:
        return Reply(ReplyType.RESULT, request.id, {"data": {}}, request.images)

    def _cancel(self, routing: list[Any], request: Request) -> Reply:
        target = request.args.get("target")
        if not isinstance(target, str):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "cancel needs args.target, the id of the request to cancel")
        job = self._jobs.get((bytes(routing[0]), target))
        if job is not None:
            job.context.cancel_event.set()
        return _result(request, {"cancelled": job is not None})

    # --- jobs -------------------------------------------------------------------------

    def _enqueue(self, routing: list[Any], request: Request) -> None:
        key = (bytes(routing[0]), request.id)
        if key in self._jobs:
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"request id {request.id!r} is already in progress")
        prepared = PREPARERS[request.op](request, self.registry, self.config.limits)
        if len(self._jobs) >= self.config.limits.max_queue:
            raise ProtocolError(ErrorCode.BUSY, f"server busy: {len(self._jobs)} jobs queued or running; retry later")
        job = Job(routing=routing, request_id=request.id, op=request.op, prepared=prepared,
                  context=JobContext(device=self.config.device),
                  reply_shm=request.reply_shm and self.config.shared_memory)
        if not self._pool.submit(job):
            raise ProtocolError(ErrorCode.BUSY, "server busy: job queue is full; retry later")
        self._jobs[key] = job
        self._send(routing, Reply(ReplyType.ACCEPTED, request.id, {"queue_position": len(self._jobs) - 1}))

    def _send_progress(self) -> None:
        now = time.monotonic()
        for job in self._jobs.values():
            state = job.context.latest_progress
            since = now - job.progress_sent_at
            changed = state != job.progress_sent and since >= self.config.progress_interval_s
            if changed or since >= self.config.heartbeat_s:
                done, total, stage = state
                self._send(job.routing, Reply(ReplyType.PROGRESS, job.request_id, {"done": done, "total": total, "stage": stage}))
                job.progress_sent, job.progress_sent_at = state, now


def _curve_settings(config: ServerConfig) -> CurveSettings | None:
    if (config.curve_secret is None) != (config.curve_clients is None):
        raise ValueError("CurveZMQ needs both --curve-secret and --curve-clients")
    if config.curve_secret is None or config.curve_clients is None:
        return None
    return CurveSettings(config.curve_secret, config.curve_clients)


def _result(request: Request, data: dict[str, Any]) -> Reply:
    return Reply(ReplyType.RESULT, request.id, {"data": data})
