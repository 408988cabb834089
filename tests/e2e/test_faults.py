"""Faults: a client that vanishes mid-job, a server killed mid-job, a job that raises."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from texforge.protocol import Client, ServerUnavailableError
from texforge.protocol.shm import NAME_PATTERN, shm_available
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


def _own_and_dead_segments(server_pids: set[int]) -> list[str]:
    """texforge shared-memory segments left by this test process or by the killed servers."""
    owners = {os.getpid(), *server_pids}
    return [path.name for path in Path("/dev/shm").glob("texforge-*")
            if (match := NAME_PATTERN.match(path.name)) and int(match.group(1), 16) in owners]


@pytest.mark.skipif(not shm_available(), reason="needs /dev/shm")
def test_kill_9_with_eight_jobs_in_flight_fails_every_client_cleanly_and_recovers() -> None:
    """Issue 22: kill -9 with 8 jobs in flight; typed errors within the timeout, 8/8 after restart, no stale segments."""
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    clients = [Client(address, timeout=3.0, connect_timeout=2.0) for _ in range(8)]
    big = np.zeros((640, 640, 3), np.uint8)  # 1.2 MB: travels in a shared-memory segment
    outcomes: list[str] = []

    def send(client: Client, steps: int) -> None:
        image = big.copy()
        image[0, 0, 0] = steps
        started = time.monotonic()
        try:
            client.upscale(image, model="diagnostic-slow", scale=2)
            outcomes.append("ok")
        except ServerUnavailableError:
            outcomes.append(f"unavailable after {time.monotonic() - started:.1f} s")

    def send_all(steps: int) -> None:
        threads = [threading.Thread(target=send, args=(client, steps)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    args = ["--device", "cpu", "--diagnostic-models", "--max-queue", "8"]
    with start_server_process(bind=address, extra_args=args) as server:
        killed = server.pid
        threading.Timer(1.5, os.kill, (server.pid, signal.SIGKILL)).start()
        send_all(steps=100)
    assert len(outcomes) == 8 and all(o.startswith("unavailable") for o in outcomes), outcomes
    assert all(float(o.split()[2]) < 1.5 + 3.0 + 1.5 for o in outcomes), outcomes
    outcomes.clear()
    with start_server_process(bind=address, extra_args=args) as server:
        send_all(steps=1)
        restarted = server.pid
    assert outcomes == ["ok"] * 8
    for client in clients:
        client.close()
    assert _own_and_dead_segments({killed, restarted}) == []
