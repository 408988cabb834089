"""Shared-memory transport between a client and a real server on this host."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
import zmq

from texforge.protocol import Client
from texforge.protocol.shm import SHM_ROOT, shm_available
from texforge.server.launch import start_server_process

pytestmark = pytest.mark.skipif(not shm_available(), reason="no /dev/shm on this platform")


def texforge_segments(pid: int) -> set[str]:
    return {p.name for p in SHM_ROOT.glob(f"texforge-{pid:x}-*")}


def test_large_images_travel_through_shared_memory_and_nothing_is_left(diagnostic_server, rng) -> None:
    image = rng.integers(0, 65535, (600, 700, 3), endpoint=True).astype(np.uint16)
    with Client(diagnostic_server.address, timeout=30) as client:
        assert client.server_info()["shared_memory"] is True
        echoed = client.echo({"image": image})["image"]
        np.testing.assert_array_equal(echoed, image)
        upscaled = client.upscale(image, scale=2, model="bicubic")
        assert upscaled.shape == (1200, 1400, 3) and upscaled.dtype == np.uint16
        with Client(diagnostic_server.address, shared_memory=False) as plain:
            np.testing.assert_array_equal(plain.upscale(image, scale=2, model="bicubic"), upscaled)
    assert not texforge_segments(diagnostic_server.pid), "server segments must be unlinked by the client"


def test_server_without_shared_memory_gets_frames() -> None:
    with start_server_process(extra_args=["--device", "cpu", "--no-shared-memory"]) as server:
        with Client(server.address) as client:
            assert client.server_info()["shared_memory"] is False
            image = np.full((700, 700, 4), 7, np.uint8)
            np.testing.assert_array_equal(client.echo({"image": image})["image"], image)


def test_a_segment_name_that_does_not_exist_is_a_bad_request(diagnostic_server) -> None:
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(diagnostic_server.address)
    try:
        spec = {"name": "image", "shape": [4, 4, 3], "dtype": "uint8", "shm": "texforge-1-" + "ef" * 12}
        raw.send_multipart([msgpack.packb({"v": 1, "id": "s", "op": "echo", "images": [spec]})])
        assert raw.poll(5000)
        reply = msgpack.unpackb(raw.recv_multipart()[0])
        assert reply["type"] == "error" and reply["code"] == "bad_request" and "cannot be opened" in reply["message"]
    finally:
        raw.close(linger=0)
    with Client(diagnostic_server.address) as after:
        assert after.ping() < 1.0
