"""ZMTP-level heartbeats: both ends notice a peer that vanished without closing its connection."""

from __future__ import annotations

import zmq

HEARTBEAT_INTERVAL_MS = 2000
HEARTBEAT_TIMEOUT_MS = 6000


def set_heartbeats(socket: zmq.SyncSocket) -> None:
    """PING every 2 s; a connection silent for 6 s is closed (libzmq >= 4.2)."""
    socket.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_INTERVAL_MS)
    socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
    socket.setsockopt(zmq.HEARTBEAT_TTL, HEARTBEAT_TIMEOUT_MS)
