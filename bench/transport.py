"""Transport cost: `echo` round trip through a real server vs an in-process copy of the same bytes.

For each image: the in-process numpy copy (baseline), the round trip through the socket only
(frames), the first shared-memory round trip (segment created: page faults), and the steady
state shared-memory round trip (pooled segment, as every later request of a client). Medians
of N runs; the RESULT line reports the default transport, which for a client on the same host
is shared memory.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_server  # noqa: E402
from _timing import median_seconds  # noqa: E402

from texforge.protocol import Client  # noqa: E402

CASES = {
    "rgba8_4096": ((4096, 4096, 4), np.uint8),
    "f32_2048": ((2048, 2048, 4), np.float32),
}


def make_image(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    rng = np.random.default_rng(0)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.random(shape, dtype=np.float32)


def first_call_seconds(address: str, image: np.ndarray) -> float:
    """One echo from a fresh client: segment creation and page faults included."""
    with Client(address, timeout=60) as fresh:
        fresh.server_info()
        start = time.perf_counter()
        fresh.echo({"image": image})
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    results = {}
    with running_server("--device", "cpu") as address:
        shm_client = Client(address, timeout=60)
        socket_client = Client(address, timeout=60, shared_memory=False)
        assert shm_client.server_info().get("shared_memory"), "server offers no shared memory here"
        for name, (shape, dtype) in CASES.items():
            image = make_image(shape, dtype)
            for client in (shm_client, socket_client):
                assert np.array_equal(client.echo({"image": image})["image"], image), "echo changed the image"
            copy = median_seconds(image.copy, args.runs)
            frames = median_seconds(partial(socket_client.echo, {"image": image}), args.runs)
            cold = first_call_seconds(address, image)
            shm = median_seconds(partial(shm_client.echo, {"image": image}), args.runs)
            print(f"{name:<11} {image.nbytes / 1e6:6.1f} MB  numpy copy {copy * 1e3:7.2f} ms | "
                  f"socket frames {frames * 1e3:7.2f} ms ({frames / copy:5.2f}x) | "
                  f"shm first call {cold * 1e3:7.2f} ms ({cold / copy:5.2f}x) | "
                  f"shm steady {shm * 1e3:7.2f} ms ({shm / copy:5.2f}x)")
            results[f"{name}_ratio"] = shm / copy
            results[f"{name}_frames_ratio"] = frames / copy
            results[f"{name}_ms"] = shm * 1e3
        shm_client.close()
        socket_client.close()
    print("RESULT " + " ".join(f"{k}={v:.2f}" for k, v in results.items()))


if __name__ == "__main__":
    main()
