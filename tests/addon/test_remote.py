"""The add-on's server calls (bpy-free): addresses, busy ports, messages a user can act on."""

from __future__ import annotations

import socket

from texforge.protocol import AddressError

from ..conftest import free_tcp_port
from .pure_modules import load

remote = load("remote")


def test_a_busy_port_is_seen_before_a_server_is_started() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert remote.something_listens(f"tcp://127.0.0.1:{port}")
    assert not remote.something_listens(f"tcp://127.0.0.1:{free_tcp_port()}")
    assert not remote.something_listens("ipc:///tmp/texforge")


def test_a_malformed_address_is_explained_with_where_to_fix_it() -> None:
    message = remote.explain(AddressError("server address 'localhost:5555' needs its transport: tcp://localhost:5555"))
    assert "tcp://localhost:5555" in message and "preferences" in message
