"""Server configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..protocol.constants import DEFAULT_ADDRESS
from ..protocol.limits import Limits


@dataclass(frozen=True)
class ServerConfig:
    """How a server binds, where it computes and what it accepts."""

    bind: str = DEFAULT_ADDRESS
    device: str = "cpu"
    precision: str = "fp32"
    """What the networks run at on `device` (resolved: fp32, bf16, fp16 or int8)."""
    workers: int = 1
    """Job worker threads; jobs beyond them wait in the queue (bounded by limits.max_queue)."""
    limits: Limits = field(default_factory=Limits)
    heartbeat_s: float = 1.0
    """Interval of `progress` heartbeats for queued and running jobs."""
    progress_interval_s: float = 0.1
    """Shortest interval between two progress replies of one job."""
    shared_memory: bool = False
    """Accept and send large images through shared memory (same-host clients; loopback binds only)."""
    curve_secret: Path | None = None
    """Server secret certificate: with `curve_clients`, turns on CurveZMQ authentication."""
    curve_clients: Path | None = None
    """Folder of allowed client public certificates (*.key)."""
    insecure: bool = False
    """Allow a non-loopback bind without authentication."""

