"""End to end through a real `texforge serve` process on a free loopback port."""

from __future__ import annotations

import threading
import time

import cv2
import msgpack
import numpy as np
import pytest
import zmq

from texforge.protocol import (
    ArgumentError,
    Client,
    JobCancelledError,
    NamedImage,
    ProtocolError,
    RemoteError,
    ServerUnavailableError,
)
from texforge.server.launch import start_server_process

from ..conftest import free_tcp_port


@pytest.fixture
def client(diagnostic_server) -> Client:
    with Client(diagnostic_server.address, timeout=30) as c:
        yield c


def test_hello_reports_versions_device_and_limits(client: Client) -> None:
    info = client.hello()
    assert info["server"] == "texforge" and info["protocol"]["major"] == 1
    assert info["device"].startswith("cpu")
    from texforge.server.device import resolve_precision

    assert info["precision"] == resolve_precision("auto", "cpu")  # detected at start-up
    assert info["limits"]["max_queue"] == 6
    assert {"ping", "upscale", "material", "cancel", "echo"} <= set(info["ops"])


def test_models_lists_bicubic_with_its_descriptor(client: Client) -> None:
    listing = client.models()
    bicubic = next(m for m in listing["models"] if m["name"] == "bicubic")
    assert bicubic["kind"] == "upscale" and 2 in bicubic["scales"] and 4 in bicubic["scales"]
    assert listing["defaults"]["upscale"] != "diagnostic-slow"


def test_bicubic_upscale_matches_an_independent_resize(client: Client, rng: np.random.Generator) -> None:
    image = (rng.random((40, 56, 3)) * 255).astype(np.uint8)
    image = cv2.GaussianBlur(image, (5, 5), 1.5)  # smooth content: kernels agree closely away from clamping
    result = client.upscale(image, scale=2, model="bicubic")
    reference = cv2.resize(image, (112, 80), interpolation=cv2.INTER_CUBIC)
    assert result.shape == (80, 112, 3) and result.dtype == np.uint8
    interior = np.abs(result[4:-4, 4:-4].astype(int) - reference[4:-4, 4:-4].astype(int))
    assert interior.max() <= 2


@pytest.mark.parametrize("dtype,channels", [(np.uint16, 1), (np.float32, 4), (np.float16, 3), (np.uint8, 2)])
def test_upscale_keeps_dtype_and_channels(client: Client, dtype: type, channels: int) -> None:
    image = np.linspace(0, 1, 16 * 12 * channels).reshape(16, 12, channels)
    if np.issubdtype(dtype, np.integer):
        image = image * np.iinfo(dtype).max
    result = client.upscale(image.astype(dtype), scale=4, model="bicubic")
    assert result.shape == (64, 48, channels) and result.dtype == dtype


def test_exact_target_size(client: Client) -> None:
    result = client.upscale(np.zeros((30, 20, 3), np.uint8), scale=2, model="bicubic", size=(77, 91))
    assert result.shape == (91, 77, 3)


def test_four_clients_at_once_all_get_their_own_results(diagnostic_server) -> None:
    outputs: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with Client(diagnostic_server.address, timeout=30) as own:
                image = np.full((24, 24, 3), index * 40, np.uint8)
                outputs[index] = own.upscale(image, scale=2, model="bicubic")
        except BaseException as exc:  # collected and re-raised on the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    for index in range(4):
        assert outputs[index].shape == (48, 48, 3) and np.all(outputs[index] == index * 40)


def _slow_image(steps: int) -> np.ndarray:
    image = np.zeros((8, 8, 3), np.uint8)
    image[0, 0, 0] = steps
    return image


def test_ping_is_answered_while_a_long_job_runs(diagnostic_server) -> None:
    progress: list[tuple[int, int, str]] = []
    job = threading.Thread(target=lambda: Client(diagnostic_server.address).upscale(
        _slow_image(20), model="diagnostic-slow", progress=lambda d, t, s: progress.append((d, t, s))))
    job.start()
    time.sleep(0.4)
    with Client(diagnostic_server.address) as pinger:
        rtts = [pinger.ping() for _ in range(5)]
    job.join(30)
    assert max(rtts) < 0.5, rtts
    assert any(stage == "waiting" and total == 20 for _, total, stage in progress)


def test_cancel_stops_a_running_job(client: Client) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(JobCancelledError):
        client.upscale(_slow_image(200), model="diagnostic-slow", cancel_event=cancel)
    assert time.monotonic() - started < 3.0
    assert client.ping() < 1.0


def test_cancel_of_an_unknown_request_says_so(client: Client) -> None:
    assert client.cancel("no-such-request") is False


def test_a_failing_job_becomes_an_error_reply_and_the_server_keeps_serving(client: Client) -> None:
    with pytest.raises(RemoteError) as excinfo:
        client.upscale(np.zeros((8, 8, 3), np.uint8), model="diagnostic-fail")
    assert excinfo.value.code == "internal" and "out of memory" in excinfo.value.message
    assert client.ping() < 1.0


def test_full_queue_answers_busy_at_once(diagnostic_server) -> None:
    clients = [Client(diagnostic_server.address) for _ in range(7)]
    cancel = threading.Event()
    failures: list[RemoteError] = []

    def submit(c: Client) -> None:
        try:
            c.upscale(_slow_image(50), model="diagnostic-slow", cancel_event=cancel)
        except RemoteError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    time.sleep(0.5)
    busy = [f for f in failures if f.code == "busy"]
    cancel.set()
    for thread in threads:
        thread.join(30)
    assert len(busy) == 1, [f.code for f in failures]
    for c in clients:
        c.close()


def test_unknown_model_and_bad_arguments_are_errors(client: Client) -> None:
    with pytest.raises(RemoteError) as excinfo:
        client.upscale(np.zeros((4, 4, 3), np.uint8), model="nope")
    assert excinfo.value.code == "unknown_model"
    with pytest.raises(RemoteError) as excinfo:
        client.call("upscale", {"scale": "two"}, [])
    assert excinfo.value.code == "bad_request"
    image = [NamedImage("image", np.zeros((4, 4, 3), np.uint8))]
    with pytest.raises(RemoteError) as excinfo:
        client.call("upscale", {"model": "bicubic", "detail": 3.0}, image)
    assert excinfo.value.code == "bad_request"
    with pytest.raises(ArgumentError, match="detail"):  # the client refuses it before sending
        client.upscale(np.zeros((4, 4, 3), np.uint8), model="bicubic", detail=3.0)


# --- bad input from a raw ZeroMQ peer ---------------------------------------------------------


def _header(**fields) -> bytes:
    return msgpack.packb(fields, use_bin_type=True)


IMAGE_SPEC = {"name": "image", "shape": [4, 4, 3], "dtype": "uint8", "frame": 1}
BAD_MESSAGES = {
    "garbage": ([b"\xff\xfe\xfd garbage"], "bad_request"),
    "malformed_msgpack": ([b"\x85\xa1v\x01"], "bad_request"),
    "wrong_version": ([_header(v=9, id="a", op="ping")], "unsupported_version"),
    "frame_count_mismatch": ([_header(v=1, id="a", op="upscale", images=[IMAGE_SPEC])], "bad_request"),
    "frame_size_mismatch": ([_header(v=1, id="a", op="upscale", images=[IMAGE_SPEC]), b"\0" * 47], "bad_request"),
    "bad_dtype": ([_header(v=1, id="a", op="upscale", images=[{**IMAGE_SPEC, "dtype": "complex"}]), b"\0" * 48], "bad_request"),
    "zero_shape": ([_header(v=1, id="a", op="upscale", images=[{**IMAGE_SPEC, "shape": [0, 4, 3]}]), b""], "bad_request"),
    "negative_shape": ([_header(v=1, id="a", op="upscale", images=[{**IMAGE_SPEC, "shape": [-4, 4, 3]}]), b"\0" * 48], "bad_request"),
    "huge_shape": ([_header(v=1, id="a", op="upscale", images=[{**IMAGE_SPEC, "shape": [99999, 99999, 4]}]), b"\0" * 48], "too_large"),
    "unknown_op": ([_header(v=1, id="a", op="explode")], "unknown_op"),
    "args_wrong_type": ([_header(v=1, id="a", op="upscale", args="scale=2")], "bad_request"),
}


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
def test_bad_input_gets_an_error_and_the_server_keeps_answering_ping(diagnostic_server, name: str) -> None:
    frames, code = BAD_MESSAGES[name]
    context = zmq.Context.instance()
    raw = context.socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(diagnostic_server.address)
    try:
        raw.send_multipart(frames)
        assert raw.poll(5000), "no reply to a bad message"
        reply = msgpack.unpackb(raw.recv_multipart()[0])
        assert reply["type"] == "error" and reply["code"] == code
    finally:
        raw.close(linger=0)
    with Client(diagnostic_server.address) as after:
        assert after.ping() < 1.0


def test_req_socket_peers_are_served_too(diagnostic_server) -> None:
    req = zmq.Context.instance().socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(diagnostic_server.address)
    try:
        req.send(_header(v=1, id="q", op="ping"))
        assert req.poll(5000)
        assert msgpack.unpackb(req.recv())["type"] == "result"
    finally:
        req.close(linger=0)


def test_a_message_over_the_size_limit_is_dropped_and_the_server_lives() -> None:
    with start_server_process(extra_args=["--device", "cpu", "--max-message-mb", "1"]) as server:
        raw = zmq.Context.instance().socket(zmq.DEALER)
        raw.setsockopt(zmq.LINGER, 0)
        raw.connect(server.address)
        try:
            spec = {"name": "image", "shape": [1024, 1024, 4], "dtype": "uint8", "frame": 1}
            raw.send_multipart([_header(v=1, id="big", op="echo", images=[spec]), b"\0" * (4 << 20)])
            assert not raw.poll(1000), "ZMQ_MAXMSGSIZE should drop the oversized message"
        finally:
            raw.close(linger=0)
        with Client(server.address) as after:
            assert after.ping() < 1.0
            with pytest.raises(ProtocolError) as excinfo:
                after.echo({"image": np.zeros((1024, 1024, 2), np.uint8)})
            assert excinfo.value.code == "too_large" and "limit" in excinfo.value.message
            assert after.ping() < 1.0


def test_client_recovers_when_the_server_restarts() -> None:
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    client = Client(address, timeout=2.0, connect_timeout=1.0)
    with start_server_process(bind=address, extra_args=["--device", "cpu"]):
        assert client.ping() < 1.0
    with pytest.raises(ServerUnavailableError):
        client.ping()
    with start_server_process(bind=address, extra_args=["--device", "cpu"]):
        assert client.ping() < 1.0
    client.close()


def test_no_server_gives_a_clear_error_quickly() -> None:
    client = Client(f"tcp://127.0.0.1:{free_tcp_port()}", timeout=1.0, connect_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ServerUnavailableError, match="texforge serve"):
        client.ping()
    assert time.monotonic() - started < 2.0
