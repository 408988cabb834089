"""What a new user hits in the first hour: one-line errors, truthful start-up, a server that says what it does."""

from __future__ import annotations

import time

import numpy as np
import pytest

from texforge.protocol import AddressError, Client, NamedImage, RemoteError
from texforge.protocol.client import resolve_address
from texforge.server.launch import start_server_process

from ..conftest import free_tcp_port
from .test_cli import texforge


def assert_one_line_error(result, *fragments: str, status: int = 1) -> None:
    """Exit `status`, one line on stderr, no traceback, every fragment in it."""
    assert result.returncode == status, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("where", ["--server", "env"])
def test_an_address_without_its_transport_is_one_line_naming_the_fix(where: str) -> None:
    if where == "--server":
        result = texforge("ping", "--server", "localhost:5555")
    else:
        result = texforge("ping", server="127.0.0.1:5555")
    assert_one_line_error(result, "tcp://")


def test_client_addresses_are_checked_before_any_socket_exists() -> None:
    assert resolve_address("tcp://gpubox:5555") == "tcp://gpubox:5555"
    with pytest.raises(AddressError, match="tcp://localhost:5555"):
        Client("localhost:5555")
    with pytest.raises(AddressError, match="tcp://HOST:PORT"):
        Client("http://localhost")


def test_a_second_server_on_a_busy_port_says_so_in_one_line_before_loading_models(diagnostic_server) -> None:
    started = time.perf_counter()
    result = texforge("serve", "--bind", diagnostic_server.address, "--device", "cpu")
    assert time.perf_counter() - started < 15
    assert_one_line_error(result, diagnostic_server.address, "another texforge serve")


def test_the_server_logs_one_line_per_finished_job_and_errors_with_their_code() -> None:
    port = free_tcp_port()
    with start_server_process(bind=f"tcp://127.0.0.1:{port}", extra_args=["--device", "cpu"]) as server:
        with Client(server.address, timeout=60) as client:
            client.upscale(np.zeros((8, 8, 3), np.uint8), scale=2, model="bicubic")
            with pytest.raises(RemoteError):  # refused by the model at run time, not by the arguments
                client.call("upscale", {"model": "bicubic", "normal_map": True},
                            [NamedImage("image", np.zeros((8, 8, 1), np.uint8))])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any("WARNING" in line for line in server.log_tail):
            time.sleep(0.05)
        log = "".join(server.log_tail)
    assert "INFO texforge.server.jobs: upscale bicubic 8x8 x2 in" in log and ": ok" in log
    assert "WARNING" in log and "bad_request" in log


def test_models_stars_the_default_of_each_scale(diagnostic_server) -> None:
    with Client(diagnostic_server.address) as client:
        listing = client.models()
    defaults = listing["upscale_defaults"]
    assert set(defaults) >= {"2", "4"}
    with Client(diagnostic_server.address, timeout=60) as client:
        for scale, name in defaults.items():
            reply = client.call("upscale", {"scale": int(scale)}, [NamedImage("image", np.zeros((8, 8, 3), np.uint8))])
            assert reply.body["data"]["model"] == name  # what is starred is what a request gets
    starred = {line.split()[1] for line in texforge("models", server=diagnostic_server.address).stdout.splitlines()
               if line.startswith("*")}
    assert set(defaults.values()) <= starred


def test_upscale_takes_a_folder_and_reports_failures_per_file(diagnostic_server, tmp_path) -> None:
    from texforge.server.imageio import read_image, write_image

    (tmp_path / "in").mkdir()
    write_image(tmp_path / "in" / "a.png", np.full((8, 8, 3), 100, np.uint8))
    write_image(tmp_path / "in" / "b.tif", np.full((6, 6, 1), 0.5, np.float32))
    (tmp_path / "in" / "broken.png").write_bytes(b"not a png")
    result = texforge("upscale", str(tmp_path / "in"), str(tmp_path / "out"), "--model", "bicubic",
                      server=diagnostic_server.address)
    assert result.returncode == 1 and "broken.png" in result.stderr and "1 of 3" in result.stderr
    assert read_image(tmp_path / "out" / "a.png").shape == (16, 16, 3)
    assert read_image(tmp_path / "out" / "b.tif").dtype == np.float32


def test_an_exact_size_picks_the_scale_and_says_when_it_stretches(diagnostic_server, tmp_path) -> None:
    from texforge.server.imageio import read_image, write_image

    write_image(tmp_path / "a.png", np.full((16, 16, 3), 100, np.uint8))
    result = texforge("upscale", str(tmp_path / "a.png"), str(tmp_path / "big.png"), "--size", "60x30",
                      "--model", "bicubic", server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    assert read_image(tmp_path / "big.png").shape == (30, 60, 3)
    assert "stretches" in result.stderr
