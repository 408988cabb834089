"""CurveZMQ keys: certificate files made by `texforge keys`, and a client's key set.

Used by the client (connecting to an authenticated server or broker) and by the server side
(its own secret certificate); the allow-list authenticator itself lives in `server/security.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth


@dataclass(frozen=True)
class CurveClientKeys:
    """The server's public key and this client's key pair, for CurveZMQ servers."""

    server_public: bytes
    client_public: bytes
    client_secret: bytes

    @classmethod
    def from_files(cls, server_key: str | os.PathLike[str], client_cert: str | os.PathLike[str]) -> "CurveClientKeys":
        """Load from the server's `.key` file and this client's `.key_secret` file."""
        server_public, _ = zmq.auth.load_certificate(os.fspath(server_key))
        client_public, client_secret = zmq.auth.load_certificate(os.fspath(client_cert))
        if client_secret is None:
            raise ValueError(f"{client_cert} holds no secret key (use the client's .key_secret file)")
        return cls(server_public, client_public, client_secret)

    def apply(self, socket: zmq.SyncSocket) -> None:
        """Configure `socket` as a CURVE client."""
        socket.curve_serverkey = self.server_public
        socket.curve_publickey = self.client_public
        socket.curve_secretkey = self.client_secret


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
