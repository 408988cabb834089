"""`texforge broker`: one address for clients, N worker processes behind it.

A ROUTER faces clients, a ROUTER faces workers (Majordomo / Paranoid Pirate style). Each
request goes to the least-loaded live worker; replies stream back unchanged, so clients talk
to a broker exactly as to a single server. Workers and broker heartbeat each other; a dead
worker's requests are retried once on another worker, else answered with an error: never lost.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

from ...protocol.codec import decode_header, encode_reply, encode_request, request_id_of
from ...protocol.constants import FINAL_REPLY_TYPES, QUEUED_OPS, ErrorCode, Op, ReplyType
from ...protocol.errors import ProtocolError
from ...protocol.heartbeat import set_heartbeats
from ...protocol.limits import Limits
from ...protocol.messages import Reply, Request, error_reply
from ..routing import Delivery, drain, send_routed, split_envelope
from ..security import CurveServer
from .control import HEARTBEAT, HEARTBEAT_S, LIVENESS, READY, control, parse_control

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class BrokerCurve:
    """CurveZMQ for a broker: its secret key, and allow-lists for clients and for workers."""

    secret_file: Path
    clients_dir: Path | None
    workers_dir: Path | None


@dataclass
class WorkerState:
    """A registered worker."""

    identity: bytes
    capacity: int
    expires: float
    info: dict[str, Any] = field(default_factory=dict)
    jobs: int = 0
    """Queued ops (upscale, material) in flight on this worker."""
    requests: set[tuple[bytes, str]] = field(default_factory=set)


@dataclass
class InFlight:
    """A client request forwarded to a worker and not yet answered."""

    routing: list[Any]
    frames: list[Any]
    worker: bytes
    queued: bool
    retried: bool = False


class Broker:
    """Load-balancing broker between clients and workers."""

    def __init__(self, frontend: str, backend: str, context: zmq.Context | None = None,
                 limits: Limits | None = None, curve: BrokerCurve | None = None) -> None:
        self.limits = limits or Limits()
        self.curve = curve
        self._authenticator: CurveServer | None = None
        self._zmq = context or zmq.Context.instance()
        self._frontend = self._zmq.socket(zmq.ROUTER)
        self._backend = self._zmq.socket(zmq.ROUTER)
        self._frontend_address, self._backend_address = frontend, backend
        self._workers: dict[bytes, WorkerState] = {}
        self._in_flight: dict[tuple[bytes, str], InFlight] = {}
        self._next_heartbeat = 0.0
        self.frontend_endpoint = self.backend_endpoint = ""

    def bind(self) -> tuple[str, str]:
        """Bind both sides; return (frontend, backend) endpoints."""
        if self.curve is not None:
            self._authenticator = CurveServer(self._zmq, self.curve.secret_file)
            if self.curve.clients_dir is not None:
                self._authenticator.protect(self._frontend, "clients", self.curve.clients_dir)
            if self.curve.workers_dir is not None:
                self._authenticator.protect(self._backend, "workers", self.curve.workers_dir)
        for socket, address in ((self._frontend, self._frontend_address), (self._backend, self._backend_address)):
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.ROUTER_MANDATORY, 1)
            set_heartbeats(socket)
            socket.bind(address)
        self._frontend.setsockopt(zmq.MAXMSGSIZE, self.limits.max_message_bytes + self.limits.max_header_bytes)
        self.frontend_endpoint = self._frontend.getsockopt_string(zmq.LAST_ENDPOINT)
        self.backend_endpoint = self._backend.getsockopt_string(zmq.LAST_ENDPOINT)
        return self.frontend_endpoint, self.backend_endpoint

    def serve_forever(self, stop: threading.Event) -> None:
        """Route until `stop` is set."""
        poller = zmq.Poller()
        poller.register(self._frontend, zmq.POLLIN)
        poller.register(self._backend, zmq.POLLIN)
        while not stop.is_set():
            events = dict(poller.poll(int(HEARTBEAT_S * 250)))
            if self._backend in events:
                drain(self._backend, self._from_worker)
            if self._frontend in events:
                drain(self._frontend, self._from_client)
            self._tick()

    def close(self) -> None:
        """Close both sockets."""
        self._frontend.close(linger=0)
        self._backend.close(linger=0)
        if self._authenticator is not None:
            self._authenticator.stop()

    # --- plumbing ------------------------------------------------------------------------

    @staticmethod
    def _send(socket: zmq.Socket, frames: list[Any]) -> bool:
        """Whether the peer got the message (a lost or stalled peer is the caller's business)."""
        return send_routed(socket, frames) is Delivery.SENT

    def _reply(self, routing: list[Any], reply: Reply) -> None:
        self._send(self._frontend, [*routing, *encode_reply(reply)])

    # --- clients -------------------------------------------------------------------------

    def _from_client(self, frames: list[Any]) -> None:
        routing, payload = split_envelope(frames)
        if not payload:
            self._reply(routing, error_reply(None, ErrorCode.BAD_REQUEST, "empty message"))
            return
        try:
            header = decode_header(payload[0], self.limits)
        except ProtocolError as exc:
            self._reply(routing, error_reply(None, exc.code, exc.message))
            return
        request_id, op = request_id_of(header), header.get("op")
        if request_id is None:
            self._forward_untracked(routing, payload)
        elif op == Op.CANCEL:
            self._forward_cancel(routing, payload, header, request_id)
        else:
            self._dispatch(routing, payload, request_id, queued=op in QUEUED_OPS)

    def _forward_untracked(self, routing: list[Any], payload: list[Any]) -> None:
        """Requests without a usable id get their error from a worker, which validates everything."""
        worker = self._choose_worker(queued=False)
        if worker is None:
            self._reply(routing, error_reply(None, ErrorCode.BUSY, "no worker available"))
        else:
            self._send(self._backend, [worker.identity, *routing, *payload])

    def _forward_cancel(self, routing: list[Any], payload: list[Any], header: dict[str, Any], request_id: str) -> None:
        args = header.get("args")
        target = args.get("target") if isinstance(args, dict) else None
        entry = self._in_flight.get((bytes(routing[0]), target)) if isinstance(target, str) else None
        if entry is None:
            self._reply(routing, Reply(ReplyType.RESULT, request_id, {"data": {"cancelled": False}}))
            return
        self._send(self._backend, [entry.worker, *routing, *payload])

    def _dispatch(self, routing: list[Any], payload: list[Any], request_id: str, queued: bool) -> None:
        key = (bytes(routing[0]), request_id)
        worker = self._choose_worker(queued)
        if worker is None:
            reason = "all workers are busy" if self._workers else "no worker is connected"
            self._reply(routing, error_reply(request_id, ErrorCode.BUSY, f"{reason}; retry later"))
            return
        entry = InFlight(routing=routing, frames=payload, worker=worker.identity, queued=queued)
        self._assign(key, entry, worker)

    def _assign(self, key: tuple[bytes, str], entry: InFlight, worker: WorkerState) -> None:
        entry.worker = worker.identity
        self._in_flight[key] = entry
        worker.requests.add(key)
        worker.jobs += entry.queued
        self._send(self._backend, [worker.identity, *entry.routing, *entry.frames])

    def _choose_worker(self, queued: bool, exclude: bytes | None = None) -> WorkerState | None:
        candidates = [w for w in self._workers.values()
                      if w.identity != exclude and (not queued or w.jobs < w.capacity)]
        return min(candidates, key=lambda w: (w.jobs, len(w.requests)), default=None)

    # --- workers -------------------------------------------------------------------------

    def _from_worker(self, frames: list[Any]) -> None:
        identity, rest = bytes(frames[0]), frames[1:]
        message = parse_control(rest)
        if message is not None:
            self._control(identity, *message)
            return
        worker = self._workers.get(identity)
        if worker is None:
            return  # a worker we dropped as dead: its requests were already re-routed or answered
        worker.expires = time.monotonic() + HEARTBEAT_S * LIVENESS
        self._relay_reply(worker, rest)

    def _control(self, identity: bytes, command: bytes, payload: dict[str, Any]) -> None:
        worker = self._workers.get(identity)
        if command == READY and worker is None:
            capacity = int(payload.get("capacity", 1)) if isinstance(payload.get("capacity"), int) else 1
            worker = WorkerState(identity, max(1, capacity), 0.0, info=payload)
            self._workers[identity] = worker
            log.info("worker %s ready (pid %s, %s, capacity %d)", identity.hex(), payload.get("pid"),
                     payload.get("device"), worker.capacity)
        if worker is not None:
            worker.expires = time.monotonic() + HEARTBEAT_S * LIVENESS

    def _relay_reply(self, worker: WorkerState, frames: list[Any]) -> None:
        routing, payload = split_envelope(frames)
        if not payload:
            return
        try:
            header = decode_header(payload[0], Limits(max_header_bytes=16 << 20))
        except ProtocolError:
            return
        key = (bytes(routing[0]), str(header.get("re")))
        if header.get("type") in FINAL_REPLY_TYPES and key in self._in_flight and self._in_flight[key].worker == worker.identity:
            entry = self._in_flight.pop(key)
            worker.requests.discard(key)
            worker.jobs -= entry.queued
        if not self._send(self._frontend, frames):
            self._client_gone(routing, key)

    def _client_gone(self, routing: list[Any], key: tuple[bytes, str]) -> None:
        """The client left: send its worker the protocol's own cancel so it stops computing for nobody."""
        entry = self._in_flight.get(key)
        if entry is not None:
            cancel = Request(Op.CANCEL, {"target": key[1]})
            self._send(self._backend, [entry.worker, *routing, *encode_request(cancel)])

    def _tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_heartbeat:
            for identity in list(self._workers):
                self._send(self._backend, [identity, *control(HEARTBEAT)])
            self._next_heartbeat = now + HEARTBEAT_S
        for worker in [w for w in self._workers.values() if w.expires < now]:
            self._bury(worker)

    def _bury(self, worker: WorkerState) -> None:
        """A worker stopped answering: retry its requests once elsewhere, else answer them."""
        log.warning("worker %s (pid %s) is gone with %d requests", worker.identity.hex(),
                    worker.info.get("pid"), len(worker.requests))
        del self._workers[worker.identity]
        for key in sorted(worker.requests):
            entry = self._in_flight.pop(key)
            replacement = None if entry.retried else self._choose_worker(entry.queued, exclude=worker.identity)
            if replacement is not None:
                entry.retried = True
                self._assign(key, entry, replacement)
            else:
                self._reply(entry.routing, error_reply(key[1], ErrorCode.INTERNAL,
                                                       "the worker running this request died; retry"))

