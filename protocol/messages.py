"""In-memory form of protocol messages: requests, replies and the images they carry."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy.typing as npt

from .constants import FINAL_REPLY_TYPES, PROTOCOL_VERSION, ErrorCode, ReplyType

ImageArray: TypeAlias = npt.NDArray[Any]
"""An H x W x C image array; its dtype is one of the wire dtypes (`constants.DTYPES`)."""

_counter = itertools.count(1)
_prefix = f"{os.getpid():x}-{os.urandom(3).hex()}"


def new_message_id() -> str:
    """A message id unique within this process and very likely across processes."""
    return f"{_prefix}-{next(_counter)}"


@dataclass
class NamedImage:
    """An image travelling in a message: H x W x C array, its name and colour space."""

    name: str
    array: ImageArray
    colorspace: str = "srgb"
    shm: str | None = None
    """Name of the shared-memory segment holding `array`, when it travels that way."""


@dataclass
class Request:
    """A client request: an operation with arguments and optional images."""

    op: str
    args: dict[str, Any] = field(default_factory=dict)
    images: list[NamedImage] = field(default_factory=list)
    id: str = field(default_factory=new_message_id)
    v: int = PROTOCOL_VERSION
    reply_shm: bool = False
    """Ask for large result images in shared-memory segments (same-host clients only)."""

    def image(self, name: str) -> NamedImage | None:
        """The image called `name`, or None."""
        return next((img for img in self.images if img.name == name), None)


@dataclass
class Reply:
    """A server reply answering request `re`.

    `body` holds the type's fields: `accepted` -> queue_position; `progress` -> done, total,
    stage; `result` -> data; `error` -> code, message.
    """

    type: ReplyType
    re: str | None
    body: dict[str, Any] = field(default_factory=dict)
    images: list[NamedImage] = field(default_factory=list)
    id: str = field(default_factory=new_message_id)
    v: int = PROTOCOL_VERSION

    @property
    def is_final(self) -> bool:
        """Whether this reply ends its request (result or error)."""
        return self.type in FINAL_REPLY_TYPES

    def image(self, name: str) -> NamedImage | None:
        """The image called `name`, or None."""
        return next((img for img in self.images if img.name == name), None)


def error_reply(request_id: str | None, code: ErrorCode, message: str) -> Reply:
    """An `error` reply."""
    return Reply(ReplyType.ERROR, request_id, {"code": str(code), "message": message})
