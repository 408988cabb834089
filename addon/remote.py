"""Server calls made from worker threads: the vendored protocol client only, never bpy."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .jobs import ProgressCallback
from .protocol import (
    AddressError,
    Client,
    JobCancelledError,
    MaterialArgs,
    MultiplyArgs,
    ProtocolError,
    RemoteError,
    SeamlessArgs,
    ServerUnavailableError,
    UpscaleArgs,
)
from .protocol.version import __version__ as EXTENSION_VERSION
from .server_env import version_key

ADDRESS_ENV_VAR = "TEXFORGE_SERVER"
CONNECT_TIMEOUT_S = 3.0
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class LocalServerError(Exception):
    """The managed local server could not start, or it died; the message says why and what to do."""


class LocalStart(Protocol):
    """The managed local server as a job sees it (local_server.ManagedStart)."""

    def ensure_running(self, progress: ProgressCallback, cancel_event: threading.Event) -> None:
        """Start the server unless one answers at the address (blocks until it is ready)."""

    def exit_note(self) -> str:
        """Why the managed server stopped, with its last log lines; "" while it runs."""


@dataclass(frozen=True)
class ServerSettings:
    """Where the server is and how long to wait for it."""

    address: str
    timeout: float
    """Longest silence tolerated from the server while a job runs (seconds)."""
    local: LocalStart | None = None
    """The managed local server: started before the job when none runs. None: the user runs the server."""


def effective_address(preference: str) -> str:
    """$TEXFORGE_SERVER when set, else the add-on preference."""
    return os.environ.get(ADDRESS_ENV_VAR) or preference


def _client(settings: ServerSettings) -> Client:
    return Client(settings.address, timeout=settings.timeout,
                  connect_timeout=min(CONNECT_TIMEOUT_S, settings.timeout))


def is_loopback(address: str) -> bool:
    """Whether `address` is tcp:// on this machine (where the add-on may start a server)."""
    match = re.match(r"^tcp://\[?([^\]]+?)\]?:(\d+)$", address)
    return match is not None and match.group(1) in LOOPBACK_HOSTS


def explain(error: BaseException) -> str:
    """One line a user can act on."""
    if isinstance(error, LocalServerError):
        return str(error)
    if isinstance(error, AddressError):
        return f"{error}: fix it in the texforge add-on preferences (or $TEXFORGE_SERVER)"
    if isinstance(error, ServerUnavailableError):
        return (f"no texforge server answers at {error.address}. Install the local server (texforge preferences > "
                "Install local server) or start one (`texforge serve`), or check the address")
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


def server_hello(address: str, timeout: float = CONNECT_TIMEOUT_S) -> dict[str, Any] | None:
    """The `hello` of a texforge server at `address`, or None when none answers in time."""
    try:
        with Client(address, timeout=timeout, connect_timeout=timeout) as client:
            return client.hello()
    except (ServerUnavailableError, ProtocolError, RemoteError):
        return None


def describe_server(hello: dict[str, Any]) -> str:
    """"texforge 0.1.0 on cpu (8 threads)" or "... on GPU cuda:0 (NVIDIA ...)"."""
    device = str(hello.get("device", "?"))
    shown = f"GPU {device}" if device.startswith(("cuda", "mps")) else device
    return f"{hello.get('server', 'texforge')} {hello.get('version', '?')} on {shown}"


def version_mismatch(server_version: str, local: bool, extension_version: str = EXTENSION_VERSION) -> str:
    """"" when the server and the extension are one release; otherwise one line saying which to update."""
    if server_version == extension_version:
        return ""
    if version_key(server_version) > version_key(extension_version):
        advice = "update the extension"
    else:
        advice = "update the local server (texforge preferences > Update server)" if local else "update the server"
    return f"server {server_version}, extension {extension_version}: {advice}"


def prepare(settings: ServerSettings, progress: ProgressCallback, cancel_event: threading.Event) -> None:
    """Worker thread, before a job's request: start the managed local server if it is on and none runs."""
    if settings.local is not None:
        settings.local.ensure_running(progress, cancel_event)


def with_exit_note(settings: ServerSettings, error: Exception) -> Exception:
    """`error`, or a LocalServerError saying that the managed server died (and its last lines) when it did."""
    note = settings.local.exit_note() if settings.local is not None else ""
    return LocalServerError(note) if note else error


@contextmanager
def job_client(settings: ServerSettings, progress: ProgressCallback, cancel_event: threading.Event) -> Iterator[Client]:
    """A client for one job: the managed server started first, and its death named if the job fails with it."""
    prepare(settings, progress, cancel_event)
    try:
        with _client(settings) as client:
            yield client
    except (ServerUnavailableError, ProtocolError) as error:
        raise with_exit_note(settings, error) from error


def fetch_server_info(settings: ServerSettings) -> dict[str, Any]:
    """`hello` and `models` in one go: {"hello": {...}, "models": {...}}."""
    with _client(settings) as client:
        return {"hello": client.hello(), "models": client.models()}


def upscale(settings: ServerSettings, image: np.ndarray, args: UpscaleArgs, colorspace: str,
            progress: ProgressCallback, cancel_event: threading.Event) -> np.ndarray:
    """Upscale one wire image (starting the managed server first); raises the protocol's errors."""
    with job_client(settings, progress, cancel_event) as client:
        return client.upscale(image, args, colorspace=colorspace, progress=progress, cancel_event=cancel_event)


def estimate_material(settings: ServerSettings, flash: np.ndarray, guide: np.ndarray | None,
                      args: MaterialArgs, progress: ProgressCallback,
                      cancel_event: threading.Event) -> dict[str, np.ndarray]:
    """Estimate SVBRDF maps from photos (starting the managed server first); returns the maps keyed by name."""
    with job_client(settings, progress, cancel_event) as client:
        maps, _info = client.material(flash, guide, args, progress=progress, cancel_event=cancel_event)
    missing = {"albedo", "specular", "normal", "roughness"} - set(maps)
    if missing:
        raise RemoteError("internal", f"the result lacks the maps {sorted(missing)}")
    return maps


WireMaps = dict[str, tuple[np.ndarray, str]]
"""Map name -> (wire image, wire colour space)."""


def multiply(settings: ServerSettings, image: np.ndarray, args: MultiplyArgs, colorspace: str, maps: WireMaps,
             progress: ProgressCallback, cancel_event: threading.Event) -> list[dict[str, np.ndarray]]:
    """Variations of one wire image and its maps (starting the managed server first): [{"image", map names...}]."""
    with job_client(settings, progress, cancel_event) as client:
        variations, _info = client.multiply(image, args, maps, colorspace=colorspace, progress=progress,
                                            cancel_event=cancel_event)
    return variations


def make_seamless(settings: ServerSettings, image: np.ndarray, args: SeamlessArgs, colorspace: str, maps: WireMaps,
                  progress: ProgressCallback, cancel_event: threading.Event) -> dict[str, np.ndarray]:
    """One wire image and its maps made tileable (starting the managed server first): {"image", map names...}."""
    with job_client(settings, progress, cancel_event) as client:
        result, _info = client.seamless(image, args, maps, colorspace=colorspace, progress=progress,
                                        cancel_event=cancel_event)
    return result
