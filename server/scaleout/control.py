"""Broker <-> worker control messages (the client protocol passes through unchanged).

Control messages start with an empty frame, which a client identity never is, then the
magic string and a command. Everything else on the backend is a client message (broker ->
worker) or a reply (worker -> broker), prefixed with the client's routing frames.
"""

from __future__ import annotations

from typing import Any

import msgpack

MAGIC = b"texforge-worker-1"
READY = b"ready"
"""worker -> broker: registration, with a msgpack map (capacity, pid, device)."""
HEARTBEAT = b"heartbeat"
"""both ways, every HEARTBEAT_S seconds."""

HEARTBEAT_S = 1.0
LIVENESS = 4
"""Heartbeats a peer may miss before it counts as dead."""


def control(command: bytes, payload: dict[str, Any] | None = None) -> list[bytes]:
    """Frames of a control message."""
    frames = [b"", MAGIC, command]
    if payload is not None:
        frames.append(msgpack.packb(payload))
    return frames


def parse_control(frames: list[Any]) -> tuple[bytes, dict[str, Any]] | None:
    """(command, payload) if `frames` is a control message, else None."""
    if len(frames) < 3 or len(frames[0]) != 0 or bytes(frames[1]) != MAGIC:
        return None
    payload: dict[str, Any] = {}
    if len(frames) > 3:
        try:
            decoded = msgpack.unpackb(bytes(frames[3]), raw=False)
        except (ValueError, TypeError, msgpack.UnpackException):
            decoded = {}
        payload = decoded if isinstance(decoded, dict) else {}
    return bytes(frames[2]), payload
