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
from zmq.auth.thread import ThreadAuthenticator

from ..protocol.curve import load_secret_certificate
from ..protocol.shm import is_local_address

log = logging.getLogger(__name__)


class InsecureBindError(ValueError):
    """A non-loopback bind was asked for without authentication and without --insecure."""


@dataclass(frozen=True)
class CurveSettings:
    """The server's secret certificate and the folder of allowed client public certificates."""

    server_secret_file: Path
    allowed_clients_dir: Path


def check_bind_policy(bind: str, authenticated: bool, insecure: bool) -> None:
    """Refuse an open network bind without keys; warn loudly when the user insists."""
    if is_local_address(bind) or authenticated:
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


class CurveServer:
    """One ZAP authenticator for the process; each protected socket gets its own allow-list (ZAP domain)."""

    def __init__(self, context: zmq.Context, secret_file: Path) -> None:
        self._public, self._secret = load_secret_certificate(secret_file)
        self._authenticator = ThreadAuthenticator(context, log=logging.getLogger("texforge.server.auth"))
        self._authenticator.start()

    def protect(self, socket: zmq.Socket, domain: str, allowed_dir: Path) -> None:
        """Make `socket` a CURVE server admitting only the public keys (*.key) in `allowed_dir`."""
        if not allowed_dir.is_dir():
            raise ValueError(f"{allowed_dir}: no such folder of allowed public keys")
        allowed = sorted(allowed_dir.glob("*.key"))
        if not allowed:
            raise ValueError(f"{allowed_dir} holds no public keys (*.key)")
        self._authenticator.configure_curve(domain=domain, location=str(allowed_dir))
        socket.zap_domain = domain.encode()
        socket.curve_secretkey = self._secret
        socket.curve_publickey = self._public
        socket.curve_server = True
        log.info("CurveZMQ on (%s): %d allowed keys in %s", domain, len(allowed), allowed_dir)

    def stop(self) -> None:
        """Stop the authenticator thread."""
        self._authenticator.stop()


def secure_router(context: zmq.Context, router: zmq.Socket, curve: CurveSettings) -> CurveServer:
    """Make a server's ROUTER a CURVE server for the allowed client keys; return the authenticator."""
    server = CurveServer(context, curve.server_secret_file)
    server.protect(router, "clients", curve.allowed_clients_dir)
    return server
