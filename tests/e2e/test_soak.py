"""A short soak (bench/soak.py runs 20 minutes): the server's Python objects stay flat."""

from __future__ import annotations

from texforge.protocol import Client
from texforge.protocol.testing.soak import SoakTraffic, run_soak
from texforge.server.launch import start_server_process

FAST_TRAFFIC = SoakTraffic(upscale_model="bicubic", material_model="heuristic", shared_memory=False)
"""The soak's mix of kinds and random sizes on the fast models, so a short run sends hundreds.
Frames, not shared memory: the server remembers each reply segment for a 60 s grace period
(server/shm_exports.py), which would read as growth in a short run."""


def test_python_objects_stay_flat_under_mixed_traffic() -> None:
    with start_server_process(extra_args=["--device", "cpu", "--threads", "1"]) as server, \
            Client(server.address) as probe:
        warm_up = run_soak(server.address, clients=3, seconds=60, seed=1, traffic=FAST_TRAFFIC, max_requests=60)
        before = probe.hello()["memory"]
        soak = run_soak(server.address, clients=3, seconds=120, seed=2, traffic=FAST_TRAFFIC, max_requests=150)
        after = probe.hello()["memory"]
    print(f"{soak.requests} requests: {before} -> {after}")
    assert not warm_up.errors and not soak.errors, (warm_up.errors, soak.errors)
    assert soak.requests >= 150, soak.requests
    # a leaked container per request shows as `soak.requests` more tracked objects; a leaked job
    # record (its request, arguments, context and images) as tens of allocator blocks per request
    objects = after["python_objects"] - before["python_objects"]
    blocks = after["python_blocks"] - before["python_blocks"]
    assert objects < soak.requests / 3, (before, after, soak.requests)
    assert blocks < 5 * soak.requests, (before, after, soak.requests)
    assert after["rss_mib"] > 0 and after["peak_rss_mib"] >= after["rss_mib"]
