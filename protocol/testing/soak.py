"""Long mixed traffic against one server: the soak that shows whether its memory stays flat.

Each virtual client owns a `Client` and sends, until a deadline, a random mix of what a studio
sends all day: x2 upscales and tileable x4 upscales of random-sized images (so the server's
kernels see many shapes), 1-shot materials, and pings. Every outcome and latency is counted.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..client import Client
from ..errors import ProtocolError, RemoteError, ServerUnavailableError
from .latency import median, percentile

SOAK_MIX = ("ping", "upscale_x2", "upscale_x4_tileable", "material")

SIDE_RANGE = (32, 256)
"""Sides of the random images, in pixels (both inclusive)."""


@dataclass
class SoakReport:
    """Outcomes and latencies of a soak run (thread-safe through `record`)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        """Count one finished request."""
        with self._lock:
            self.requests += 1
            self.latencies[kind].append(seconds)
            if error is not None:
                self.errors[f"{kind}:{error}"] += 1

    def _seconds(self, kind: str | None) -> list[float]:
        return self.latencies[kind] if kind else [v for vs in self.latencies.values() for v in vs]

    def percentile(self, q: float, kind: str | None = None) -> float:
        """Latency percentile in seconds over one kind (or all)."""
        return percentile(self._seconds(kind), q)

    def median(self, kind: str | None = None) -> float:
        """Median latency in seconds over one kind (or all)."""
        return median(self._seconds(kind))


def random_image(rng: random.Random, channels: int = 3) -> np.ndarray:
    """A random-sized image with some structure (noise over a gradient), uint8."""
    height, width = rng.randint(*SIDE_RANGE), rng.randint(*SIDE_RANGE)
    generator = np.random.default_rng(rng.randrange(2**32))
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    noise = generator.normal(0, 30, (height, width, channels)).astype(np.float32)
    image: np.ndarray = np.clip(ramp + noise + 20, 0, 255).astype(np.uint8)
    return image


@dataclass(frozen=True)
class SoakTraffic:
    """What the virtual clients send: which kinds, and which models (None: the server's defaults)."""

    kinds: tuple[str, ...] = SOAK_MIX
    upscale_model: str | None = None
    material_model: str | None = None
    shared_memory: bool | None = None
    """Large images through shared memory: None = when the server offers it (as `Client`)."""


def _send_one(client: Client, kind: str, rng: random.Random, traffic: SoakTraffic) -> None:
    if kind == "ping":
        client.ping()
    elif kind == "upscale_x2":
        client.upscale(random_image(rng, rng.choice((3, 4))), scale=2, model=traffic.upscale_model)
    elif kind == "upscale_x4_tileable":
        client.upscale(random_image(rng), scale=4, tileable=True, model=traffic.upscale_model)
    elif kind == "material":
        client.material(random_image(rng), model=traffic.material_model)
    else:
        raise ValueError(f"unknown soak request kind {kind!r}; known: {', '.join(SOAK_MIX)}")


def _client(address: str, seed: int, deadline: float, report: SoakReport, timeout_s: float,
            traffic: SoakTraffic, max_requests: int | None) -> None:
    rng = random.Random(seed)
    with Client(address, timeout=timeout_s, shared_memory=traffic.shared_memory) as client:
        while time.monotonic() < deadline and (max_requests is None or report.requests < max_requests):
            kind = rng.choice(traffic.kinds)
            started = time.perf_counter()
            error: str | None = None
            try:
                _send_one(client, kind, rng, traffic)
            except RemoteError as exc:
                error = exc.code
            except (ProtocolError, ServerUnavailableError) as exc:
                error = type(exc).__name__
                client.reset()
            report.record(kind, time.perf_counter() - started, error)


def run_soak(address: str, clients: int, seconds: float, seed: int = 0, timeout_s: float = 120.0,
             on_tick: Callable[[float], None] | None = None, tick_s: float = 10.0,
             report: SoakReport | None = None, traffic: SoakTraffic | None = None,
             max_requests: int | None = None) -> SoakReport:
    """Run `clients` concurrent clients for `seconds` (or until about `max_requests` are done).

    `on_tick(elapsed)` is called every `tick_s`.
    Pass `report` to watch it fill while the soak runs.
    """
    report = report if report is not None else SoakReport()
    started = time.monotonic()
    deadline = started + seconds
    traffic = traffic or SoakTraffic()
    threads = [threading.Thread(target=_client, args=(address, seed * 1000 + i, deadline, report, timeout_s, traffic,
                                                           max_requests),
                                daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    next_tick = started
    while any(thread.is_alive() for thread in threads):
        now = time.monotonic()
        if on_tick is not None and now >= next_tick:
            on_tick(now - started)
            next_tick += tick_s
        for thread in threads:
            thread.join(timeout=0.2)
    if on_tick is not None:
        on_tick(time.monotonic() - started)
    return report
