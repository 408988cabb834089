"""Loopback by default; CurveZMQ with an allow-list (or a loud --insecure) for anything else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from texforge.protocol import Client, CurveClientKeys, ServerUnavailableError
from texforge.protocol.curve import generate_keys
from texforge.server.launch import start_server_process

from ..conftest import free_tcp_port


def serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "texforge.server.cli", "serve", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_open_bind_without_keys_refuses_to_start_with_a_clear_message() -> None:
    result = serve("--bind", f"tcp://0.0.0.0:{free_tcp_port()}", "--device", "cpu", timeout=30)
    assert result.returncode == 1
    assert "refusing to bind" in result.stderr and "texforge keys" in result.stderr and "--insecure" in result.stderr


def test_insecure_bind_starts_with_a_loud_warning() -> None:
    with start_server_process(bind=f"tcp://0.0.0.0:{free_tcp_port()}", extra_args=["--device", "cpu", "--insecure"]) as server:
        assert any("INSECURE" in line for line in server.log_tail)
        port = server.address.rpartition(":")[2]
        with Client(f"tcp://127.0.0.1:{port}") as client:
            assert client.ping() < 1.0


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keys")
    server_public, server_secret = generate_keys(root / "server", "server")
    allowed_public, allowed_secret = generate_keys(root / "clients", "alice")
    _, stranger_secret = generate_keys(root / "strangers", "mallory")
    return {"server_public": server_public, "server_secret": server_secret, "clients": root / "clients",
            "alice": allowed_secret, "mallory": stranger_secret}


def test_curve_admits_allowed_keys_only(keys: dict[str, Path]) -> None:
    args = ["--device", "cpu", "--curve-secret", str(keys["server_secret"]), "--curve-clients", str(keys["clients"])]
    with start_server_process(bind=f"tcp://0.0.0.0:{free_tcp_port()}", extra_args=args) as server:
        address = "tcp://127.0.0.1:" + server.address.rpartition(":")[2]
        alice = CurveClientKeys.from_files(keys["server_public"], keys["alice"])
        with Client(address, curve=alice, timeout=5) as client:
            assert client.ping() < 1.0
        mallory = CurveClientKeys.from_files(keys["server_public"], keys["mallory"])
        for refused in (Client(address, curve=mallory, timeout=1.5, connect_timeout=1.5),
                        Client(address, timeout=1.5, connect_timeout=1.5)):
            with refused, pytest.raises(ServerUnavailableError):
                refused.ping()


def test_cli_client_uses_keys(keys: dict[str, Path]) -> None:
    args = ["--device", "cpu", "--curve-secret", str(keys["server_secret"]), "--curve-clients", str(keys["clients"])]
    with start_server_process(bind=f"tcp://127.0.0.1:{free_tcp_port()}", extra_args=args) as server:
        ok = subprocess.run([sys.executable, "-m", "texforge.server.cli", "ping", "--server", server.address,
                             "--server-key", str(keys["server_public"]), "--client-cert", str(keys["alice"])],
                            capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0 and "pong" in ok.stdout, ok.stderr
