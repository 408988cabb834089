"""Large result images for same-host clients go out in shared-memory segments.

The client unlinks a segment once it has mapped it; segments of clients that vanished are
unlinked here after a grace period, so nothing piles up in /dev/shm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from ..protocol.messages import NamedImage
from ..protocol.shm import THRESHOLD_BYTES, SharedMemoryError, copy_into_segment, unlink_segment

log = logging.getLogger(__name__)


class SegmentExporter:
    """Prepares reply images for the transport a request asked for (thread-safe)."""

    def __init__(self, grace_s: float = 60.0) -> None:
        self.grace_s = grace_s
        self._lock = threading.Lock()
        self._pending: deque[tuple[float, str]] = deque()

    def prepare(self, images: list[NamedImage], reply_shm: bool) -> list[NamedImage]:
        """Images as they should travel: in segments when asked and large, else as frames."""
        return [self._prepare_one(image, reply_shm) for image in images]

    def _prepare_one(self, image: NamedImage, reply_shm: bool) -> NamedImage:
        if not reply_shm or image.array.nbytes < THRESHOLD_BYTES:
            return NamedImage(image.name, image.array, image.colorspace)
        if image.shm is not None:
            return image  # already in the client's own segment (echo): reference it, copy nothing
        try:
            segment, view = copy_into_segment(image.array)
        except SharedMemoryError as exc:
            log.warning("sending %s as a frame: %s", image.name, exc)
            return NamedImage(image.name, image.array, image.colorspace)
        with self._lock:
            self._pending.append((time.monotonic() + self.grace_s, segment.name))
        return NamedImage(image.name, view, image.colorspace, shm=segment.name)

    def sweep(self) -> None:
        """Unlink segments whose grace period is over (normally the client did already)."""
        now = time.monotonic()
        with self._lock:
            while self._pending and self._pending[0][0] <= now:
                unlink_segment(self._pending.popleft()[1])

    def close(self) -> None:
        """Unlink every segment still pending."""
        with self._lock:
            while self._pending:
                unlink_segment(self._pending.popleft()[1])
