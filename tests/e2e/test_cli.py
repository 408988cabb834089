"""The `texforge` command line against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from texforge.server.imageio import read_image, write_image

from ..conftest import free_tcp_port


def texforge(*args: str, server: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if server:
        env["TEXFORGE_SERVER"] = server
    return subprocess.run([sys.executable, "-m", "texforge.server.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_ping_and_models(diagnostic_server) -> None:
    assert "pong" in texforge("ping", server=diagnostic_server.address).stdout
    listing = texforge("models", server=diagnostic_server.address).stdout
    assert "bicubic" in listing and "upscale" in listing


@pytest.mark.parametrize("dtype,suffix", [(np.uint8, ".png"), (np.uint16, ".png"), (np.float32, ".tif")])
def test_upscale_file_round_trip_keeps_bit_depth(diagnostic_server, tmp_path: Path, dtype: type, suffix: str) -> None:
    image = np.linspace(0, 1, 20 * 30 * 4, dtype=np.float32).reshape(20, 30, 4)
    if dtype != np.float32:
        image = image * np.iinfo(dtype).max
    source, target = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    write_image(source, image.astype(dtype))
    result = texforge("upscale", str(source), str(target), "--scale", "2", "--model", "bicubic",
                      server=diagnostic_server.address)
    assert result.returncode == 0, result.stderr
    upscaled = read_image(target)
    assert upscaled.shape == (40, 60, 4) and upscaled.dtype == dtype


def test_no_server_is_one_clear_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8))
    result = texforge("upscale", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--timeout", "1",
                      server=f"tcp://127.0.0.1:{free_tcp_port()}")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "no server at" in result.stderr and "texforge serve" in result.stderr


def test_bad_inputs_fail_before_contacting_the_server(tmp_path: Path) -> None:
    missing = texforge("upscale", str(tmp_path / "missing.png"), str(tmp_path / "out.png"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    write_image(tmp_path / "f.tif", np.zeros((4, 4, 3), np.float32))
    lossy = texforge("upscale", str(tmp_path / "f.tif"), str(tmp_path / "out.png"))
    assert lossy.returncode == 1 and "use .tif" in lossy.stderr
