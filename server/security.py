"""Who may talk to the server: loopback by default, CurveZMQ with an allow-list otherwise.

Binding any address other people can reach needs a server key pair plus a folder of allowed
client public keys (ZeroMQ's ZAP authenticator checks every connection), or an explicit
`--insecure`. Keys are ZeroMQ certificate files, made by `texforge keys`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from ..protocol.shm import is_local_address

log = logging.getLogger(__name__)


class InsecureBindError(ValueError):
    """A non-loopback bind was asked for without authentication and without --insecure."""


@dataclass(frozen=True)
class CurveSettings:
    """The server's secret certificate and the folder of allowed client public certificates."""

    server_secret_file: Path
    allowed_clients_dir: Path


def check_bind_policy(bind: str, curve: CurveSettings | None, insecure: bool) -> None:
    """Refuse an open network bind without keys; warn loudly when the user insists."""
    if is_local_address(bind) or curve is not None:
        return
    if not insecure:
        raise InsecureBindError(
            f"refusing to bind {bind} without authentication: anyone on the network could use this server. "
            "Pass --curve-secret SERVER.key_secret --curve-clients DIR (make them with `texforge keys`), "
            "or --insecure to accept every client"
        )
    log.warning("!" * 72)
    log.warning("INSECURE: %s accepts unauthenticated clients from the network (--insecure)", bind)
    log.warning("!" * 72)


def generate_keys(directory: Path, name: str) -> tuple[Path, Path]:
    """Write `<name>.key` (public, give it to peers) and `<name>.key_secret` (keep it); return both."""
    directory.mkdir(parents=True, exist_ok=True)
    public, secret = zmq.auth.create_certificates(str(directory), name)
    Path(secret).chmod(0o600)
    return Path(public), Path(secret)


def load_secret_certificate(path: Path) -> tuple[bytes, bytes]:
    """(public key, secret key) from a `.key_secret` file; ValueError if it holds no secret."""
    if not path.is_file():
        raise ValueError(f"{path}: no such key file")
    public, secret = zmq.auth.load_certificate(str(path))
    if secret is None:
        raise ValueError(f"{path} holds no secret key (use the .key_secret file)")
    return public, secret


def load_public_key(path: Path) -> bytes:
    """The public key from a `.key` or `.key_secret` file."""
    if not path.is_file():
        raise ValueError(f"{path}: no such key file")
    public, _ = zmq.auth.load_certificate(str(path))
    return public


def secure_router(context: zmq.Context, router: zmq.Socket, curve: CurveSettings) -> ThreadAuthenticator:
    """Make `router` a CURVE server that admits only the allowed client keys; return the authenticator."""
    if not curve.allowed_clients_dir.is_dir():
        raise ValueError(f"{curve.allowed_clients_dir}: no such folder of client public keys")
    allowed = sorted(curve.allowed_clients_dir.glob("*.key"))
    if not allowed:
        raise ValueError(f"{curve.allowed_clients_dir} holds no client public keys (*.key)")
    public, secret = load_secret_certificate(curve.server_secret_file)
    authenticator = ThreadAuthenticator(context, log=logging.getLogger("texforge.server.auth"))
    authenticator.start()
    authenticator.configure_curve(domain="*", location=str(curve.allowed_clients_dir))
    router.curve_secretkey = secret
    router.curve_publickey = public
    router.curve_server = True
    log.info("CurveZMQ on: %d allowed client keys in %s", len(allowed), curve.allowed_clients_dir)
    return authenticator
