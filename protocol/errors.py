"""Exceptions: one root for the package, small documented subclasses."""

from __future__ import annotations

from .constants import ErrorCode


class TexforgeError(Exception):
    """Root of every exception the protocol package raises."""


class AddressError(TexforgeError, ValueError):
    """A server address that is not a ZeroMQ endpoint (e.g. `localhost:5555` without `tcp://`)."""


class ProtocolError(TexforgeError):
    """A message violates the protocol; `code` is the error code to answer with."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RemoteError(TexforgeError):
    """The server answered a request with an `error` reply."""

    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id


class JobCancelledError(RemoteError):
    """The server stopped the job because the client cancelled it."""


class ServerUnavailableError(TexforgeError):
    """No reply from the server within the timeout (not running, unreachable, or hung)."""

    def __init__(self, address: str, timeout: float) -> None:
        super().__init__(
            f"no server at {address} (no reply within {timeout:g} s) — start one with `texforge serve`"
        )
        self.address = address
        self.timeout = timeout
