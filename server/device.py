"""Device selection: `auto` takes CUDA when present, else the CPU with all cores."""

from __future__ import annotations

import logging
import os
import re

import torch

log = logging.getLogger(__name__)

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def resolve_device(spec: str) -> str:
    """Map `auto|cpu|cuda[:N]` to a concrete torch device string; ValueError if unavailable."""
    if not _DEVICE_PATTERN.match(spec):
        raise ValueError(f"device {spec!r} is not one of auto, cpu, cuda, cuda:N")
    if spec == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        return _checked_cuda(spec)
    return "cpu"


def _checked_cuda(spec: str) -> str:
    if not torch.cuda.is_available():
        raise ValueError(f"device {spec!r} requested but CUDA is not available")
    index = int(spec.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise ValueError(f"device {spec!r} requested but only {torch.cuda.device_count()} CUDA devices exist")
    return f"cuda:{index}"


def configure_cpu_threads(threads: int | None = None) -> int:
    """Use `threads` (default: every core the process may run on) for intra-op parallelism."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(threads or cores)
    return threads or cores


def describe_device(device: str) -> str:
    """Human-readable device name for `hello`."""
    if device.startswith("cuda"):
        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return f"cpu ({torch.get_num_threads()} threads)"
