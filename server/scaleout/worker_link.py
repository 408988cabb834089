"""A worker's connection to its broker: registration, heartbeats, reconnection (Paranoid Pirate)."""

from __future__ import annotations

import logging
import time
from typing import Any

import zmq

from ...protocol.curve import CurveClientKeys
from ...protocol.heartbeat import set_heartbeats
from .control import HEARTBEAT, HEARTBEAT_S, LIVENESS, READY, control, parse_control

log = logging.getLogger(__name__)


class BrokerLink:
    """Owns the worker's DEALER socket to the broker backend."""

    def __init__(self, context: zmq.Context, address: str, capacity: int, curve: CurveClientKeys | None,
                 info: dict[str, Any]) -> None:
        self.address = address
        self._zmq = context
        self._curve = curve
        self._ready = {"capacity": capacity, **info}
        self._expires = 0.0
        self._next_heartbeat = 0.0
        self._socket: zmq.Socket | None = None

    def connect(self) -> zmq.Socket:
        """A fresh socket to the broker, registered with READY."""
        socket = self._zmq.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        set_heartbeats(socket)
        if self._curve is not None:
            self._curve.apply(socket)
        socket.connect(self.address)
        socket.send_multipart(control(READY, self._ready))
        self._socket = socket
        self._expires = time.monotonic() + HEARTBEAT_S * LIVENESS
        return socket

    def heard(self, frames: list[Any]) -> bool:
        """Note that the broker is alive; True when `frames` was a control message (consumed)."""
        self._expires = time.monotonic() + HEARTBEAT_S * LIVENESS
        return parse_control(frames) is not None

    def tick(self, socket: zmq.Socket) -> zmq.Socket:
        """Heartbeat the broker; reconnect when it has been silent too long. Returns the socket to use."""
        now = time.monotonic()
        if now > self._expires:
            log.warning("broker %s silent for %.0f s; reconnecting", self.address, HEARTBEAT_S * LIVENESS)
            socket.close(linger=0)
            return self.connect()
        if now >= self._next_heartbeat:
            try:
                socket.send_multipart(control(HEARTBEAT), flags=zmq.NOBLOCK)
            except zmq.Again:
                pass  # not connected yet; liveness decides when to start over
            self._next_heartbeat = now + HEARTBEAT_S
        return socket
