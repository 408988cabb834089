"""ROUTER-socket plumbing shared by the server and the broker: envelopes, bounded drains, sends."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import zmq

MAX_MESSAGES_PER_TURN = 64
"""Bounded drain per poll, so one busy socket never starves the others, heartbeats or results."""


class Delivery(Enum):
    """What became of a routed send."""

    SENT = "sent"
    GONE = "gone"
    """The peer's identity is unknown to the socket (it disconnected)."""
    STALLED = "stalled"
    """The peer's queue is full (it is not reading)."""


def split_envelope(frames: list[Any]) -> tuple[list[Any], list[Any]]:
    """(routing frames, payload) of a message from a ROUTER: a REQ peer adds an empty delimiter."""
    if len(frames) > 1 and len(frames[1]) == 0:
        return frames[:2], frames[2:]
    return frames[:1], frames[1:]


def drain(socket: zmq.Socket, handle: Callable[[list[Any]], None]) -> None:
    """Hand up to MAX_MESSAGES_PER_TURN waiting messages to `handle`, without blocking."""
    for _ in range(MAX_MESSAGES_PER_TURN):
        try:
            frames = socket.recv_multipart(zmq.NOBLOCK, copy=False)
        except zmq.Again:
            return
        handle(frames)


def send_routed(socket: zmq.Socket, frames: list[Any]) -> Delivery:
    """Send without blocking on a ROUTER_MANDATORY socket; report instead of raising for lost peers."""
    try:
        socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
    except zmq.ZMQError as exc:
        if exc.errno == zmq.EHOSTUNREACH:
            return Delivery.GONE
        if exc.errno == zmq.EAGAIN:
            return Delivery.STALLED
        raise
    return Delivery.SENT
