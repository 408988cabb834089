"""Transport cost: `echo` round trip through a real server vs an in-process copy of the same bytes.

Prints the median of N runs for each image and the ratio round-trip / copy, then one
`RESULT` line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_server  # noqa: E402

from texforge.protocol import Client  # noqa: E402

CASES = {
    "rgba8_4096": ((4096, 4096, 4), np.uint8),
    "f32_2048": ((2048, 2048, 4), np.float32),
}


def median_seconds(action, runs: int) -> float:
    """Median wall time of `action()` over `runs` runs, after one warm-up."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_image(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    rng = np.random.default_rng(0)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.random(shape, dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--server", default=None, help="use a running server instead of starting one")
    args = parser.parse_args()
    results = {}
    with running_server() if args.server is None else _existing(args.server) as address:
        client = Client(address, timeout=60)
        for name, (shape, dtype) in CASES.items():
            image = make_image(shape, dtype)
            back = client.echo({"image": image})["image"]
            assert np.array_equal(back, image), "echo changed the image"
            round_trip = median_seconds(lambda: client.echo({"image": image}), args.runs)
            copy = median_seconds(lambda: image.copy(), args.runs)
            ratio = round_trip / copy
            mb = image.nbytes / 1e6
            print(f"{name:<11} {mb:7.1f} MB  echo round trip {round_trip * 1000:8.2f} ms   "
                  f"numpy copy {copy * 1000:7.2f} ms   ratio {ratio:5.2f}")
            results[f"{name}_ratio"] = ratio
            results[f"{name}_ms"] = round_trip * 1000
        client.close()
    print("RESULT " + " ".join(f"{k}={v:.2f}" for k, v in results.items()))


class _existing:
    def __init__(self, address: str) -> None:
        self.address = address

    def __enter__(self) -> str:
        return self.address

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
