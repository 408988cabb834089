"""Shared-memory segments: only proper segments of this user are ever mapped."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import numpy as np
import pytest

from texforge.protocol import Limits, NamedImage, ProtocolError, Request
from texforge.protocol.codec import decode_request, encode_request
from texforge.protocol.shm import (
    SHM_ROOT,
    Segment,
    SegmentPool,
    SharedMemoryError,
    is_local_address,
    map_segment,
    shm_available,
    sweep_stale_segments,
    unlink_segment,
)

pytestmark = pytest.mark.skipif(not shm_available(), reason="no /dev/shm on this platform")


def test_segment_round_trip_through_the_codec() -> None:
    array = np.arange(3 * 5 * 4, dtype=np.float32).reshape(3, 5, 4)
    segment = Segment.create(array.nbytes)
    try:
        view = segment.array(array.shape, array.dtype)
        view[:] = array
        frames = encode_request(Request("echo", images=[NamedImage("i", view, shm=segment.name)]))
        assert len(frames) == 1, "a shared-memory image adds no frame"
        decoded = decode_request(frames, Limits(), allow_shm=True)
        np.testing.assert_array_equal(decoded.images[0].array, array)
        assert decoded.images[0].shm == segment.name and not decoded.images[0].array.flags.writeable
        with pytest.raises(ProtocolError, match="not accepted"):
            decode_request(frames, Limits(), allow_shm=False)
    finally:
        segment.unlink()


@pytest.mark.parametrize("name", ["../etc/passwd", "texforge-1-zz", "/dev/shm/texforge-1-" + "0" * 24, "", None])
def test_names_outside_the_pattern_are_refused(name: object) -> None:
    with pytest.raises(SharedMemoryError):
        map_segment(name, 16)  # type: ignore[arg-type]


def test_symlinks_and_wrong_sizes_are_refused(tmp_path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"x" * 64)
    name = f"texforge-{os.getpid():x}-" + "ab" * 12
    os.symlink(target, SHM_ROOT / name)
    try:
        with pytest.raises(SharedMemoryError, match="cannot be opened"):
            map_segment(name, 64)
    finally:
        unlink_segment(name)
    segment = Segment.create(64)
    try:
        with pytest.raises(SharedMemoryError, match="has 64 bytes"):
            map_segment(segment.name, 65)
        assert len(map_segment(segment.name, 64)) == 64
    finally:
        segment.unlink()


def test_pool_reuses_segments_until_a_view_is_alive() -> None:
    pool = SegmentPool()
    first, _ = pool.fill(np.ones((8, 8, 4), np.uint8))
    pool.release(first)
    again = pool.acquire(first.nbytes)
    assert again is first
    holder = again.array((8, 8, 4), np.uint8)
    pool.release_when_garbage(again, holder)
    other = pool.acquire(first.nbytes)
    assert other is not first, "a segment still viewed must not be reused"
    other.unlink()
    del holder
    gc.collect()
    assert pool.acquire(first.nbytes) is first
    pool.release(first)
    pool.close()
    assert not (SHM_ROOT / first.name).exists()


def test_segments_of_dead_processes_are_swept() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    name = f"texforge-{int(dead.stdout):x}-" + "cd" * 12
    (SHM_ROOT / name).write_bytes(b"\0" * 8)
    mine = Segment.create(8)
    try:
        assert sweep_stale_segments() >= 1
        assert not (SHM_ROOT / name).exists() and (SHM_ROOT / mine.name).exists()
    finally:
        unlink_segment(name)
        mine.unlink()


@pytest.mark.parametrize("address,local", [
    ("tcp://127.0.0.1:5555", True), ("tcp://localhost:1", True), ("ipc:///tmp/x", True),
    ("tcp://0.0.0.0:5555", False), ("tcp://10.0.0.2:5555", False), ("tcp://[::1]:5", True),
])
def test_local_addresses(address: str, local: bool) -> None:
    assert is_local_address(address) is local
