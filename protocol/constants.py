"""Protocol v1 constants: version, operations, reply types, error codes, dtypes, defaults."""

from __future__ import annotations

import re
from enum import StrEnum

PROTOCOL_VERSION = 1
"""Major version: a request with another `v` is answered `unsupported_version`."""
PROTOCOL_MINOR = 4
"""Minor version: grows when fields are added; old peers ignore fields they do not know."""

DEFAULT_ADDRESS = "tcp://127.0.0.1:5555"
ADDRESS_ENV_VAR = "TEXFORGE_SERVER"
ADDRESS_PATTERN = re.compile(r"^(tcp://[^\s/]+:(\d+|\*)|ipc://\S+|inproc://\S+)$")
"""ZeroMQ endpoints a server binds or a client connects to: tcp://HOST:PORT (PORT * to bind any), ipc://, inproc://."""

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
"""What a server's `--precision` accepts (and a launcher may pass); `auto` resolves per device;
`hello` reports the resolved one."""


def checked_address(address: str) -> str:
    """`address` when it is a ZeroMQ endpoint; AddressError naming the fix otherwise."""
    from .errors import AddressError

    if ADDRESS_PATTERN.match(address):
        return address
    if "://" not in address and ":" in address:
        raise AddressError(f"server address {address!r} needs its transport: tcp://{address}")
    raise AddressError(f"server address {address!r} is not tcp://HOST:PORT (for example {DEFAULT_ADDRESS})")


class Op(StrEnum):
    """Request operations."""

    HELLO = "hello"
    MODELS = "models"
    PING = "ping"
    UPSCALE = "upscale"
    MATERIAL = "material"
    MULTIPLY = "multiply"
    SEAMLESS = "seamless"
    CANCEL = "cancel"
    ECHO = "echo"


QUEUED_OPS = frozenset({Op.UPSCALE, Op.MATERIAL, Op.MULTIPLY, Op.SEAMLESS})
"""Ops that run as jobs (accepted -> progress* -> result | error); the rest answer at once."""


class ReplyType(StrEnum):
    """Reply message types."""

    ACCEPTED = "accepted"
    PROGRESS = "progress"
    RESULT = "result"
    ERROR = "error"


FINAL_REPLY_TYPES = frozenset({ReplyType.RESULT, ReplyType.ERROR})


class ErrorCode(StrEnum):
    """Machine-readable error codes carried by `error` replies."""

    BAD_REQUEST = "bad_request"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_OP = "unknown_op"
    TOO_LARGE = "too_large"
    BUSY = "busy"
    UNKNOWN_MODEL = "unknown_model"
    CANCELLED = "cancelled"
    INTERNAL = "internal"


DTYPES: dict[str, str] = {
    "uint8": "<u1",
    "uint16": "<u2",
    "float16": "<f2",
    "float32": "<f4",
}
"""Wire dtype name -> little-endian numpy dtype string."""

COLORSPACES = ("srgb", "linear", "data")
"""`data` is non-colour (normal, roughness, masks): never colour-converted."""

MAX_ID_LENGTH = 128
MAX_NAME_LENGTH = 64
