"""The conformance vectors in protocol/vectors decode as they say, and are up to date."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from texforge.protocol import Limits, ProtocolError
from texforge.protocol.codec import decode_reply, decode_request, encode_reply, encode_request
from texforge.protocol.constants import DTYPES

VECTORS = Path(__file__).resolve().parents[2] / "protocol" / "vectors"
VECTOR_FILES = sorted(VECTORS.glob("*.json"))


def test_there_are_valid_and_error_vectors() -> None:
    names = [p.stem for p in VECTOR_FILES]
    assert sum(n.startswith("error_") for n in names) >= 10
    assert sum(not n.startswith("error_") for n in names) >= 5


def test_stored_vectors_match_the_generator() -> None:
    result = subprocess.run([sys.executable, str(VECTORS / "generate.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    frames = [bytes.fromhex(h) for h in vector["frames_hex"]]
    decode = decode_request if vector["direction"] == "request" else decode_reply
    expect = vector["expect"]
    if "error" in expect:
        with pytest.raises(ProtocolError) as excinfo:
            decode(frames, Limits())
        assert excinfo.value.code == expect["error"]
        return
    message = decode(frames, Limits())
    header = expect["header"]
    assert message.v == header["v"] and message.id == header["id"]
    if vector["direction"] == "request":
        assert (message.op, message.args) == (header["op"], header["args"])
        reencoded = decode_request(encode_request(message), Limits())
    else:
        assert (str(message.type), message.re) == (header["type"], header["re"])
        assert all(message.body[k] == v for k, v in header.items() if k not in {"v", "id", "re", "type"})
        reencoded = decode_reply(encode_reply(message), Limits())
    assert [(i.name, list(i.array.shape), i.colorspace) for i in message.images] == [
        (e["name"], e["shape"], e["colorspace"]) for e in expect["images"]]
    for image, expected in zip(message.images, expect["images"], strict=True):
        values = np.array(expected["values"], dtype=DTYPES[expected["dtype"]]).reshape(expected["shape"])
        np.testing.assert_array_equal(image.array, values)
    for first, second in zip(message.images, reencoded.images, strict=True):
        np.testing.assert_array_equal(first.array, second.array)
