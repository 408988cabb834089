"""A seeded mutational fuzzer for protocol v1 peers.

It builds valid messages, mutates them (headers, fields, types, frames, raw bytes), sends them
one at a time and classifies what came back. A conforming server answers every message with
one final reply (`error` for broken ones), or drops it silently, never hangs and never dies.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np
import zmq

from ..constants import FINAL_REPLY_TYPES, ReplyType

Frames = list[bytes]

_ODD_VALUES: tuple[Any, ...] = (
    None, True, -1, 0, 2**31, 2**63 - 1, -(2**63), 1e308, float("nan"), "", "x" * 300, b"\x00\xff",
    [], [1, 2, 3], {}, {"k": "v"}, [[-1, 2, 3]], [1 << 30, 1 << 30, 4], "uint8", "float64",
)


def _valid_messages(rng: random.Random) -> list[dict[str, Any]]:
    image = np.frombuffer(rng.randbytes(8 * 6 * 3), np.uint8).reshape(8, 6, 3)
    spec = {"name": "image", "shape": [8, 6, 3], "dtype": "uint8", "frame": 1, "colorspace": "srgb"}
    return [
        {"header": {"v": 1, "id": "f", "op": "ping", "args": {}, "images": []}, "frames": []},
        {"header": {"v": 1, "id": "f", "op": "hello", "args": {}, "images": []}, "frames": []},
        {"header": {"v": 1, "id": "f", "op": "models", "args": {}, "images": []}, "frames": []},
        {"header": {"v": 1, "id": "f", "op": "cancel", "args": {"target": "nothing"}, "images": []}, "frames": []},
        {"header": {"v": 1, "id": "f", "op": "echo", "args": {}, "images": [spec]}, "frames": [image.tobytes()]},
        {"header": {"v": 1, "id": "f", "op": "upscale", "args": {"scale": 2, "model": "bicubic"}, "images": [spec]},
         "frames": [image.tobytes()]},
    ]


def _mutate_field(header: dict[str, Any], rng: random.Random) -> None:
    containers = [header, header.get("args")]
    images = header.get("images")
    containers += images if isinstance(images, list) else []
    targets = [(c, key) for c in containers if isinstance(c, dict) for key in c]
    if not targets:
        return
    container, key = rng.choice(targets)
    action = rng.random()
    if action < 0.7:
        container[key] = rng.choice(_ODD_VALUES)
    elif action < 0.85:
        del container[key]
    else:
        container[f"unknown_{rng.randrange(100)}"] = rng.choice(_ODD_VALUES)


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if buffer:
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def mutate(rng: random.Random) -> Frames:
    """One mutated (or occasionally intact) message."""
    base = rng.choice(_valid_messages(rng))
    header, frames = base["header"], list(base["frames"])
    header["id"] = f"f{rng.randrange(1 << 30)}"
    kind = rng.random()
    if kind < 0.45:
        for _ in range(rng.randint(1, 3)):
            _mutate_field(header, rng)
    packed = msgpack.packb(header, use_bin_type=True)
    if kind >= 0.45 and kind < 0.6:
        packed = _flip_bytes(packed, rng)
    elif kind < 0.7 and kind >= 0.6:
        packed = packed[: rng.randrange(len(packed) + 1)]
    elif kind < 0.8 and kind >= 0.7:
        frames = _mutate_frames(frames, rng)
    elif kind < 0.9 and kind >= 0.8:
        return [rng.randbytes(rng.randrange(64)) for _ in range(rng.randint(1, 4))]
    return [packed, *frames]


def _mutate_frames(frames: Frames, rng: random.Random) -> Frames:
    choice = rng.randrange(4)
    if choice == 0:
        return frames[:-1]
    if choice == 1:
        return [*frames, rng.randbytes(rng.randrange(256))]
    if choice == 2 and frames:
        return [frames[0][: rng.randrange(len(frames[0]) + 1)], *frames[1:]]
    return [rng.randbytes(16) for _ in range(rng.randint(0, 20))]


@dataclass
class FuzzReport:
    """What a fuzz run observed."""

    sent: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """`error:<code>`, `result`, `dropped` (no reply at all), `hang` (accepted, never finished)."""
    seconds: float = 0.0

    @property
    def hangs(self) -> int:
        """Messages that were accepted but never got a final reply."""
        return self.outcomes["hang"]


def run_fuzz(
    address: str,
    count: int,
    seed: int,
    reply_timeout_s: float = 1.0,
    job_timeout_s: float = 10.0,
    between: Callable[[int], None] | None = None,
) -> FuzzReport:
    """Send `count` mutated messages to `address`, one at a time; classify each outcome."""
    rng = random.Random(seed)
    context: zmq.SyncContext = zmq.Context.instance()
    report = FuzzReport()
    started = time.perf_counter()
    socket = _fresh_socket(context, address)
    try:
        for index in range(count):
            socket.send_multipart(mutate(rng))
            outcome = _await_outcome(socket, reply_timeout_s, job_timeout_s)
            report.sent += 1
            report.outcomes[outcome] += 1
            if outcome in ("dropped", "hang"):
                socket.close(linger=0)  # late replies must not be counted against the next message
                socket = _fresh_socket(context, address)
            if between is not None:
                between(index)
    finally:
        socket.close(linger=0)
    report.seconds = time.perf_counter() - started
    return report


def _fresh_socket(context: zmq.SyncContext, address: str) -> zmq.SyncSocket:
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(address)
    return socket


def _await_outcome(socket: zmq.SyncSocket, reply_timeout_s: float, job_timeout_s: float) -> str:
    deadline = time.monotonic() + reply_timeout_s
    accepted = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not socket.poll(int(remaining * 1000)):
            return "hang" if accepted else "dropped"
        frames = socket.recv_multipart()
        if len(frames) > 1 and not frames[0]:
            frames = frames[1:]  # our message began with an empty frame: the server took it for a REQ envelope
        header = msgpack.unpackb(frames[0], raw=False)
        reply_type = header.get("type")
        if reply_type == ReplyType.ACCEPTED:
            accepted, deadline = True, time.monotonic() + job_timeout_s
        elif reply_type in FINAL_REPLY_TYPES:
            return f"error:{header.get('code')}" if reply_type == ReplyType.ERROR else "result"
