"""The server process's memory: what `hello` reports, and giving freed native memory back.

Finished jobs free their tensors, but glibc keeps the freed pages of its heap and per-thread
arenas mapped (RSS stays high and grows in steps as fragmentation moves the high-water mark).
`settle_native_heap` caps glibc's arenas and fixes its mmap threshold, and
`release_freed_memory` returns free pages to the kernel after each job (docs/memory.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import sys
import tracemalloc
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MMAP_THRESHOLD_BYTES = 32 << 20
"""Allocations of at least this size get their own mapping, returned to the kernel when freed.

glibc's own threshold starts at 128 KiB and slides up to 32 MiB as large blocks are freed;
fixing it at the top of that range keeps what the sliding one ends at (activations of a few MB
reused from the arenas: a 1 MiB threshold, mapping and faulting each of them afresh, made a
512² x4 upscale 1.75x slower) while image-sized buffers above it always go back to the kernel."""

_M_MMAP_THRESHOLD = -3  # glibc mallopt parameter numbers (malloc.h)
_M_ARENA_MAX = -8

ARENA_MAX = 4
"""Most glibc arenas: worker and torch threads share these instead of one arena per thread."""


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018  (glibc only: musl and others have no mallopt/malloc_trim)
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def settle_native_heap() -> bool:
    """Fix glibc's mmap threshold and cap its arenas (call once at start-up); False where not glibc."""
    libc = _libc()
    if libc is None:
        return False
    fixed = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    capped = libc.mallopt(_M_ARENA_MAX, ARENA_MAX) == 1
    return fixed and capped


def release_freed_memory() -> None:
    """Give the free pages of every glibc arena back to the kernel (a few ms; after a job)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def status_mib(pid: int, *fields: str) -> dict[str, float]:
    """`VmRSS`, `VmHWM`, ... of process `pid` in MiB, from one read of /proc/PID/status (Linux;
    fields it lacks, or every field off Linux, are missing)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = (line.split() for line in lines)
    return {parts[0].rstrip(":"): int(parts[1]) / 1024 for parts in values
            if len(parts) > 1 and parts[0].rstrip(":") in fields}


def memory_report() -> dict[str, Any]:
    """What `hello` says of the server's memory: RSS now and at its peak, and its Python objects.

    `python_objects` counts the objects the garbage collector tracks (containers: a leaked job
    record or closure); `python_blocks` every block of Python's object allocator (also strings
    and numbers), so a leak of anything Python allocates shows in one or the other.
    """
    status = status_mib(os.getpid(), "VmRSS", "VmHWM")
    report: dict[str, Any] = {
        "rss_mib": round(status["VmRSS"], 1) if "VmRSS" in status else None,
        "peak_rss_mib": round(status["VmHWM"], 1) if "VmHWM" in status else None,
        "python_objects": len(gc.get_objects()),
        "python_blocks": sys.getallocatedblocks(),
    }
    if tracemalloc.is_tracing():
        report["python_traced_mib"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 2)
    return report
