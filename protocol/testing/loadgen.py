"""Concurrent mixed load against a protocol v1 server, counting every reply per request.

Each virtual client owns a raw DEALER socket and sends its requests one after another (a
cancel follows its slow job at once). Every final reply is counted per request id, and the
sockets are drained at the end, so lost and duplicated replies both show.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import zmq

from ..codec import decode_reply, encode_request
from ..limits import CLIENT_LIMITS
from ..messages import NamedImage, Request
from .latency import median, percentile

MIX = ("ping", "models", "small_upscale", "large_upscale", "cancel")


@dataclass
class LoadReport:
    """Latencies and reply accounting of a load run."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[str] = field(default_factory=Counter)
    finals_per_request: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        """Requests that never got a final reply."""
        return self.sent - len(self.finals_per_request)

    @property
    def duplicated(self) -> int:
        """Requests that got more than one final reply."""
        return sum(1 for n in self.finals_per_request.values() if n > 1)

    def percentile(self, kind: str, q: float) -> float:
        """Latency percentile in seconds for one request kind."""
        return percentile(self.latencies[kind], q)

    def median(self, kind: str) -> float:
        """Median latency in seconds for one request kind."""
        return median(self.latencies[kind])


def _requests_for(kind: str, rng: random.Random, large: int) -> list[Request]:
    if kind in ("ping", "models"):
        return [Request(kind)]
    if kind == "small_upscale":
        image = np.full((32, 32, 3), rng.randrange(256), np.uint8)
        return [Request("upscale", {"scale": 2, "model": "bicubic"}, [NamedImage("image", image)])]
    if kind == "large_upscale":
        image = np.full((large, large, 3), rng.randrange(256), np.uint8)
        return [Request("upscale", {"scale": 4, "model": "bicubic"}, [NamedImage("image", image)])]
    slow = np.zeros((8, 8, 3), np.uint8)
    slow[0, 0, 0] = 100
    job = Request("upscale", {"model": "diagnostic-slow"}, [NamedImage("image", slow)])
    return [job, Request("cancel", {"target": job.id})]


def _client(address: str, seed: int, count: int, large: int, report: LoadReport, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    socket: zmq.SyncSocket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(address)
    try:
        for _ in range(count):
            kind = rng.choice(MIX)
            requests = _requests_for(kind, rng, large)
            started = time.perf_counter()
            for request in requests:
                socket.send_multipart(encode_request(request), copy=False)
            finals = _collect(socket, {r.id for r in requests}, report, lock, timeout_s=60)
            with lock:
                report.sent += len(requests)
                report.latencies[kind].append(time.perf_counter() - started)
                report.outcomes.update(finals)
        _collect(socket, set(), report, lock, timeout_s=0.5)  # anything arriving now is a duplicate
    finally:
        socket.close(linger=0)


def _collect(socket: zmq.SyncSocket, waiting: set[str], report: LoadReport, lock: threading.Lock,
             timeout_s: float) -> list[str]:
    outcomes: list[str] = []
    deadline = time.monotonic() + timeout_s
    while (waiting or not outcomes) and time.monotonic() < deadline:
        if not socket.poll(int(max(0.0, deadline - time.monotonic()) * 1000)):
            break
        reply = decode_reply(socket.recv_multipart(), CLIENT_LIMITS)
        if reply.is_final:
            with lock:
                report.finals_per_request[str(reply.re)] += 1
            outcomes.append(f"{reply.type}:{reply.body.get('code', '')}".rstrip(":"))
            waiting.discard(str(reply.re))
        if not waiting and timeout_s < 1:
            deadline = min(deadline, time.monotonic() + 0.1)
    return outcomes


def run_load(address: str, clients: int = 16, requests_each: int = 25, seed: int = 0, large: int = 256) -> LoadReport:
    """Run `clients` concurrent clients of `requests_each` mixed requests; return the report."""
    report = LoadReport()
    lock = threading.Lock()
    threads = [threading.Thread(target=_client, args=(address, seed * 1000 + i, requests_each, large, report, lock))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.seconds = time.perf_counter() - started
    return report
