"""Scale-out: upscale throughput through a broker with 1 vs 2 CPU worker processes.

Each worker uses one inference thread, so on a 2-core machine two workers can use both cores.
Clients send CPU-bound upscales concurrently; the script prints requests per second for each
configuration and the speed-up.
"""

from __future__ import annotations

import argparse
import threading
import time
from contextlib import ExitStack

import numpy as np

from texforge.protocol import Client, RemoteError
from texforge.server.launch import start_broker_process, start_worker_process


def run_clients(address: str, model: str, scale: int, side: int, clients: int, requests_each: int) -> float:
    """Requests per second with `clients` concurrent clients."""
    image = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    failures: list[BaseException] = []

    def work() -> None:
        with Client(address, timeout=120) as client:
            for _ in range(requests_each):
                try:
                    client.upscale(image, scale=scale, model=model)
                except RemoteError as exc:
                    failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {failures[0]}")
    return clients * requests_each / elapsed


def wait_until_served(address: str, workers: int) -> None:
    with Client(address, timeout=5) as client:
        for _ in range(100):
            try:
                client.ping()
                break
            except RemoteError:
                time.sleep(0.2)
    time.sleep(0.5 * workers)  # every worker registered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="fast-x4")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=4)
    args = parser.parse_args()
    rates = {}
    for workers in (1, 2):
        with ExitStack() as stack:
            broker = stack.enter_context(start_broker_process())
            for _ in range(workers):
                stack.enter_context(start_worker_process(broker.backend, ["--device", "cpu", "--threads", "1"]))
            wait_until_served(broker.address, workers)
            run_clients(broker.address, args.model, args.scale, args.side, 1, 1)  # warm-up
            rates[workers] = run_clients(broker.address, args.model, args.scale, args.side, args.clients, args.requests)
            print(f"{workers} worker(s): {rates[workers]:.2f} requests/s "
                  f"({args.model} x{args.scale} of {args.side}x{args.side}, {args.clients} clients)")
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")
    print(f"RESULT one_worker_rps={rates[1]:.2f} two_workers_rps={rates[2]:.2f} speedup={rates[2] / rates[1]:.2f}")


if __name__ == "__main__":
    main()
