"""Server calls made from worker threads: the vendored protocol client only, never bpy."""

from __future__ import annotations

import os
import re
import socket
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .jobs import ProgressCallback
from .protocol import (
    AddressError,
    Client,
    JobCancelledError,
    MaterialArgs,
    ProtocolError,
    RemoteError,
    ServerUnavailableError,
    UpscaleArgs,
)

ADDRESS_ENV_VAR = "TEXFORGE_SERVER"
CONNECT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ServerSettings:
    """Where the server is and how long to wait for it."""

    address: str
    timeout: float
    """Longest silence tolerated from the server while a job runs (seconds)."""


def effective_address(preference: str) -> str:
    """$TEXFORGE_SERVER when set, else the add-on preference."""
    return os.environ.get(ADDRESS_ENV_VAR) or preference


def _client(settings: ServerSettings) -> Client:
    return Client(settings.address, timeout=settings.timeout,
                  connect_timeout=min(CONNECT_TIMEOUT_S, settings.timeout))


def explain(error: BaseException) -> str:
    """One line a user can act on."""
    if isinstance(error, AddressError):
        return f"{error}: fix it in the texforge add-on preferences (or $TEXFORGE_SERVER)"
    if isinstance(error, ServerUnavailableError):
        return (f"no texforge server answers at {error.address}. Start one (`texforge serve`, or "
                "'Start local server' in the add-on preferences) or check the address")
    if isinstance(error, JobCancelledError):
        return "cancelled"
    if isinstance(error, RemoteError):
        return f"the server refused the job ({error.code}): {error.message}"
    if isinstance(error, ProtocolError):
        return f"protocol error: {error.message}"
    return f"unexpected error ({type(error).__name__}): {error}"


def something_listens(address: str, timeout: float = 0.3) -> bool:
    """Whether a process accepts TCP connections at a `tcp://HOST:PORT` address (any process, not only ours)."""
    match = re.match(r"^tcp://\[?([^\]]+?)\]?:(\d+)$", address)
    if match is None:
        return False
    try:
        with socket.create_connection((match.group(1), int(match.group(2))), timeout=timeout):
            return True
    except OSError:
        return False


def fetch_server_info(settings: ServerSettings) -> dict[str, Any]:
    """`hello` and `models` in one go: {"hello": {...}, "models": {...}}."""
    with _client(settings) as client:
        return {"hello": client.hello(), "models": client.models()}


def upscale(settings: ServerSettings, image: np.ndarray, args: UpscaleArgs, colorspace: str,
            progress: ProgressCallback, cancel_event: threading.Event) -> np.ndarray:
    """Upscale one wire image; raises the protocol's errors."""
    with _client(settings) as client:
        return client.upscale(image, args, colorspace=colorspace, progress=progress, cancel_event=cancel_event)


def estimate_material(settings: ServerSettings, flash: np.ndarray, guide: np.ndarray | None,
                      args: MaterialArgs, progress: ProgressCallback,
                      cancel_event: threading.Event) -> dict[str, np.ndarray]:
    """Estimate SVBRDF maps from photos; returns the maps keyed by name."""
    with _client(settings) as client:
        maps, _info = client.material(flash, guide, args, progress=progress, cancel_event=cancel_event)
    missing = {"albedo", "specular", "normal", "roughness"} - set(maps)
    if missing:
        raise RemoteError("internal", f"the result lacks the maps {sorted(missing)}")
    return maps
