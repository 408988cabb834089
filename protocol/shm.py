"""Same-host shared-memory transport for large images (Linux, /dev/shm).

A socket round trip costs several copies of every byte; a client on the same host can
instead put an image into a shared-memory segment and send only its name. The receiver
maps the segment read-only: no copy. Names are strict (`texforge-` + 32 hex digits), and a
segment is only mapped if it is a regular file owned by this process's user and has exactly
the size the image needs, so a request can never make a server read anything else.
"""

from __future__ import annotations

import mmap
import os
import re
import secrets
import stat
import sys
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from .messages import ImageArray
from .processes import process_alive

SHM_ROOT = Path("/dev/shm")
NAME_PATTERN = re.compile(r"^texforge-([0-9a-f]{1,8})-[0-9a-f]{24}$")
"""`texforge-<creator pid in hex>-<random>`: the pid lets a later process sweep a dead one's segments."""
THRESHOLD_BYTES = 1 << 20
"""Images smaller than this travel as frames: a segment costs more than it saves."""


class SharedMemoryError(OSError):
    """A segment cannot be created or mapped as asked."""


def is_local_address(address: str) -> bool:
    """Whether only processes on this host can reach `address` (loopback TCP, ipc, inproc)."""
    if address.startswith(("ipc://", "inproc://")):
        return True
    host = address.removeprefix("tcp://").rpartition(":")[0]
    return host in ("localhost", "[::1]") or host.startswith("127.")


def shm_available() -> bool:
    """Whether this platform offers the transport (Linux with a writable /dev/shm)."""
    return sys.platform.startswith("linux") and SHM_ROOT.is_dir() and os.access(SHM_ROOT, os.W_OK)


def _path(name: str) -> Path:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise SharedMemoryError(f"invalid shared-memory segment name {name!r}")
    return SHM_ROOT / name


class Segment:
    """A segment this process created: a writable array view, unlinked when done."""

    def __init__(self, name: str, buffer: mmap.mmap) -> None:
        self.name = name
        self.buffer = buffer

    @classmethod
    def create(cls, nbytes: int) -> "Segment":
        """A new zero-filled segment of `nbytes`; SharedMemoryError if space is short."""
        name = f"texforge-{os.getpid():x}-{secrets.token_hex(12)}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(_path(name), flags, 0o600)
        try:
            os.posix_fallocate(fd, 0, nbytes)  # reserve now: a full tmpfs must fail here, not SIGBUS later
            buffer = mmap.mmap(fd, nbytes, access=mmap.ACCESS_WRITE)
        except OSError as exc:
            unlink_segment(name)
            raise SharedMemoryError(f"cannot create a {nbytes}-byte segment: {exc}") from exc
        finally:
            os.close(fd)
        return cls(name, buffer)

    @property
    def nbytes(self) -> int:
        """Size of the segment."""
        return len(self.buffer)

    def array(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> ImageArray:
        """A writable view of the segment as an array."""
        return np.frombuffer(self.buffer, dtype=dtype).reshape(shape)

    def unlink(self) -> None:
        """Remove the name; existing mappings (here and in the peer) stay valid."""
        unlink_segment(self.name)


def copy_into_segment(array: ImageArray) -> tuple[Segment, ImageArray]:
    """A new segment holding a copy of `array`, and the segment's array view."""
    contiguous = np.ascontiguousarray(array)
    segment = Segment.create(contiguous.nbytes)
    view = segment.array(contiguous.shape, contiguous.dtype)
    np.copyto(view, contiguous)
    return segment, view


def map_segment(name: str, nbytes: int) -> mmap.mmap:
    """Map a peer's segment read-only after checking what it is; SharedMemoryError otherwise."""
    path = _path(name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise SharedMemoryError(f"shared-memory segment {name!r} cannot be opened: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise SharedMemoryError(f"shared-memory segment {name!r} is not a segment of this user")
        if info.st_size != nbytes:
            raise SharedMemoryError(f"shared-memory segment {name!r} has {info.st_size} bytes, the image needs {nbytes}")
        return mmap.mmap(fd, nbytes, access=mmap.ACCESS_READ)
    finally:
        os.close(fd)


def unlink_segment(name: str) -> None:
    """Remove a segment name if it still exists."""
    try:
        os.unlink(_path(name))
    except FileNotFoundError:
        pass


def sweep_stale_segments() -> int:
    """Unlink this user's segments whose creator process is gone; return how many."""
    if not shm_available():
        return 0
    swept = 0
    for path in SHM_ROOT.glob("texforge-*"):
        match = NAME_PATTERN.match(path.name)
        if match and not process_alive(int(match.group(1), 16)) and _owned_by_me(path):
            unlink_segment(path.name)
            swept += 1
    return swept


def _owned_by_me(path: Path) -> bool:
    try:
        return path.lstat().st_uid == os.geteuid()
    except OSError:
        return False


class SegmentPool:
    """Segments a client reuses across requests, so tmpfs page faults are paid once.

    A segment returns to the pool only when nothing can still read it: after a clean final
    reply, or, when a reply references it (echo), once that result array is garbage.
    """

    def __init__(self, max_bytes: int = 1 << 30) -> None:
        self.max_bytes = max_bytes
        self._free: list[Segment] = []
        self._lock = threading.Lock()
        self._closed = False
        sweep_stale_segments()

    def acquire(self, nbytes: int) -> Segment:
        """A free segment of exactly `nbytes`, or a new one."""
        with self._lock:
            for index, segment in enumerate(self._free):
                if segment.nbytes == nbytes:
                    return self._free.pop(index)
        return Segment.create(nbytes)

    def fill(self, array: ImageArray) -> tuple[Segment, ImageArray]:
        """A pooled segment holding a copy of `array`, and its array view."""
        contiguous = np.ascontiguousarray(array)
        segment = self.acquire(contiguous.nbytes)
        view = segment.array(contiguous.shape, contiguous.dtype)
        np.copyto(view, contiguous)
        return segment, view

    def release(self, segment: Segment) -> None:
        """Back to the pool, or unlinked when the pool is full or closed."""
        with self._lock:
            room = sum(s.nbytes for s in self._free) + segment.nbytes <= self.max_bytes
            if room and not self._closed:
                self._free.append(segment)
                return
        segment.unlink()

    def release_when_garbage(self, segment: Segment, holder: ImageArray) -> None:
        """Release `segment` once `holder` (an array that views it) is garbage collected."""
        weakref.finalize(holder, self.release, segment)

    def discard(self, segment: Segment) -> None:
        """Never reuse `segment` (a peer may still read it): unlink its name."""
        segment.unlink()

    def close(self) -> None:
        """Unlink every pooled segment; later releases unlink too."""
        with self._lock:
            free, self._free = self._free, []
            self._closed = True
        for segment in free:
            segment.unlink()
