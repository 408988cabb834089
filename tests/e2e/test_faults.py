"""Faults: a client that vanishes mid-job, a server killed mid-job, a job that raises."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from texforge.protocol import Client, ServerUnavailableError
from texforge.server.launch import start_server_process

from ..conftest import free_tcp_port


def slow_image(steps: int) -> np.ndarray:
    image = np.zeros((8, 8, 3), np.uint8)
    image[0, 0, 0] = steps
    return image


def test_client_vanishing_mid_job_cancels_the_job(diagnostic_server) -> None:
    script = textwrap.dedent(f"""
        import numpy as np
        from texforge.protocol import Client
        image = np.zeros((8, 8, 3), np.uint8); image[0, 0, 0] = 250
        Client({diagnostic_server.address!r}).upscale(image, model="diagnostic-slow")
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    with Client(diagnostic_server.address) as observer:
        deadline = time.monotonic() + 20
        while observer.hello()["jobs"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert observer.hello()["jobs"] >= 1, "the child's job never arrived"
        child.send_signal(signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 10
        while observer.hello()["jobs"] > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert observer.hello()["jobs"] == 0, "the vanished client's 25 s job should have been cancelled"
    assert any("is gone; cancelling" in line for line in diagnostic_server.log_tail)


def test_server_killed_mid_job_gives_a_clear_error_within_the_timeout_and_recovers() -> None:
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    client = Client(address, timeout=3.0, connect_timeout=2.0)
    with start_server_process(bind=address, extra_args=["--device", "cpu", "--diagnostic-models"]) as server:
        killer = subprocess.Popen([sys.executable, "-c", f"import os, time; time.sleep(1.0); os.kill({server.pid}, 9)"])
        started = time.monotonic()
        with pytest.raises(ServerUnavailableError):
            client.upscale(slow_image(100), model="diagnostic-slow")
        elapsed = time.monotonic() - started
        killer.wait()
    assert elapsed < 1.0 + 3.0 + 1.5, elapsed
    with start_server_process(bind=address, extra_args=["--device", "cpu"]):
        assert client.ping() < 1.0
    client.close()
