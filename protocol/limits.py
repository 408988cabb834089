"""Resource limits, enforced before any allocation proportional to what a message claims."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Limits a server enforces on requests (and advertises in `hello`)."""

    max_pixels: int = 64 * 1024 * 1024
    """Pixels per input image (H * W), e.g. 8192 x 8192."""
    max_message_bytes: int = 1 << 30
    """Bytes of all image frames of one message together (also set as ZMQ_MAXMSGSIZE)."""
    max_images: int = 8
    """Images per message (a multiply request: the exemplar and up to 7 maps)."""
    max_header_bytes: int = 64 * 1024
    """Bytes of the msgpack header frame."""
    max_queue: int = 8
    """Jobs queued or running at once; one more is answered `busy`."""
    max_output_pixels: int = 256 * 1024 * 1024
    """Pixels of one output image (e.g. 16384 x 16384)."""

    def to_wire(self) -> dict[str, int]:
        """The limits as a plain map for the `hello` reply."""
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Limits":
        """Limits from a `hello` reply; unknown keys are ignored, missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in known})


CLIENT_LIMITS = Limits(
    max_pixels=1 << 32,
    max_message_bytes=1 << 40,
    max_images=64,
    max_header_bytes=16 * 1024 * 1024,
)
"""What a client accepts in replies: the server is trusted more, but sizes are still checked."""
