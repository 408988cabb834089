"""A broker with worker processes serves clients exactly like one server; no request is lost."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from texforge.protocol import Client, RemoteError
from texforge.server.imageio import read_image, write_image
from texforge.server.launch import start_broker_process, start_worker_process

from .test_cli import texforge


@pytest.fixture(scope="module")
def broker():
    broker = start_broker_process()
    yield broker
    broker.stop()


def start_worker(broker, *args: str):
    return start_worker_process(broker.backend, ["--device", "cpu", "--diagnostic-models", "--threads", "1", *args])


def wait_for_workers(address: str, seconds: float = 15.0, keys=None) -> None:
    deadline = time.monotonic() + seconds
    with Client(address, timeout=2, curve=keys) as client:
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except RemoteError:
                time.sleep(0.2)
    raise AssertionError("no worker registered with the broker")


def test_without_workers_the_broker_answers_busy(broker) -> None:
    with Client(broker.address, timeout=5) as client, pytest.raises(RemoteError) as excinfo:
        client.ping()
    assert excinfo.value.code == "busy" and "no worker" in excinfo.value.message


def test_cli_upscale_through_a_broker_with_two_workers(broker, tmp_path) -> None:
    with start_worker(broker), start_worker(broker):
        wait_for_workers(broker.address)
        write_image(tmp_path / "in.png", np.full((20, 30, 3), 90, np.uint8))
        result = texforge("upscale", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--scale", "2",
                          "--model", "bicubic", server=broker.address)
        assert result.returncode == 0, result.stderr
        assert read_image(tmp_path / "out.png").shape == (40, 60, 3)
        with Client(broker.address) as client:
            assert "bicubic" in {m["name"] for m in client.models()["models"]}


def slow(steps: int) -> np.ndarray:
    image = np.zeros((8, 8, 3), np.uint8)
    image[0, 0, 0] = steps
    return image


def test_killing_a_worker_mid_job_loses_no_request(broker) -> None:
    first, second = start_worker(broker), start_worker(broker)
    try:
        wait_for_workers(broker.address)
        time.sleep(0.5)  # let both register
        results: list[object] = []

        def submit() -> None:
            try:
                with Client(broker.address, timeout=20) as client:
                    results.append(client.upscale(slow(30), model="diagnostic-slow").shape)
            except Exception as exc:  # collected and checked on the test thread
                results.append(exc)

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # both jobs running, one per worker (least-loaded dispatch)
        os.kill(first.pid, signal.SIGKILL)
        for thread in threads:
            thread.join(60)
        assert results == [(16, 16, 3), (16, 16, 3)], results
        assert any("is gone with" in line for line in broker.log_tail)
    finally:
        first.stop()
        second.stop()


def test_curve_between_clients_broker_and_workers(tmp_path) -> None:
    from texforge.protocol import CurveClientKeys, ServerUnavailableError
    from texforge.protocol.curve import generate_keys

    broker_public, broker_secret = generate_keys(tmp_path / "broker", "broker")
    _, alice = generate_keys(tmp_path / "clients", "alice")
    _, good_worker = generate_keys(tmp_path / "workers", "gpu0")
    _, rogue_worker = generate_keys(tmp_path / "rogue", "rogue")
    curve_args = ["--curve-secret", str(broker_secret), "--curve-clients", str(tmp_path / "clients"),
                  "--curve-workers", str(tmp_path / "workers")]
    with start_broker_process(curve_args) as broker:
        alice_keys = CurveClientKeys.from_files(broker_public, alice)
        with start_worker_process(broker.backend, ["--device", "cpu", "--threads", "1", "--broker-key",
                                                   str(broker_public), "--worker-cert", str(rogue_worker)]):
            time.sleep(1.5)
            with Client(broker.address, curve=alice_keys, timeout=5) as client, pytest.raises(RemoteError) as excinfo:
                client.ping()
            assert "no worker" in excinfo.value.message, "a worker with an unknown key must not register"
        with start_worker_process(broker.backend, ["--device", "cpu", "--threads", "1", "--broker-key",
                                                   str(broker_public), "--worker-cert", str(good_worker)]):
            wait_for_workers(broker.address, keys=alice_keys)
            with Client(broker.address, timeout=1.5, connect_timeout=1.5) as stranger, pytest.raises(ServerUnavailableError):
                stranger.ping()

