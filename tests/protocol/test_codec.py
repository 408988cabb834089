"""Codec round trips (property-based) and validation of what messages claim."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from texforge.protocol import ErrorCode, Limits, NamedImage, ProtocolError, Reply, ReplyType, Request
from texforge.protocol.codec import decode_reply, decode_request, encode_reply, encode_request

WIRE_DTYPES = [np.uint8, np.uint16, np.float16, np.float32]


@st.composite
def images(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(st.sampled_from(WIRE_DTYPES))
    shape = (draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 4)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 100).astype(dtype)


@settings(max_examples=150, deadline=None)
@given(st.lists(images(), min_size=0, max_size=4), st.sampled_from(["srgb", "linear", "data"]))
def test_request_round_trip_keeps_every_dtype_and_channel_count(arrays: list[np.ndarray], colorspace: str) -> None:
    request = Request(op="echo", args={"k": [1, "x"]},
                      images=[NamedImage(f"i{n}", a, colorspace) for n, a in enumerate(arrays)])
    decoded = decode_request(encode_request(request), Limits())
    assert (decoded.op, decoded.id, decoded.args) == ("echo", request.id, {"k": [1, "x"]})
    assert len(decoded.images) == len(arrays)
    for original, image in zip(request.images, decoded.images, strict=True):
        assert image.name == original.name and image.colorspace == colorspace
        assert image.array.dtype == original.array.dtype and image.array.shape == original.array.shape
        np.testing.assert_array_equal(image.array.view(np.uint8), original.array.view(np.uint8))


@settings(max_examples=50, deadline=None)
@given(images())
def test_reply_round_trip(array: np.ndarray) -> None:
    reply = Reply(ReplyType.RESULT, "r1", {"data": {"model": "m"}}, [NamedImage("image", array)])
    decoded = decode_reply(encode_reply(reply), Limits())
    assert decoded.type == ReplyType.RESULT and decoded.re == "r1" and decoded.body == {"data": {"model": "m"}}
    np.testing.assert_array_equal(decoded.images[0].array.view(np.uint8), array.view(np.uint8))


def test_two_dimensional_arrays_travel_as_one_channel() -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    decoded = decode_request(encode_request(Request("echo", images=[NamedImage("g", gray)])), Limits())
    assert decoded.images[0].array.shape == (3, 4, 1)


def test_non_contiguous_and_big_endian_arrays_are_sent_correctly() -> None:
    base = np.arange(2 * 6 * 3, dtype=">u2").reshape(2, 6, 3)
    view = base[:, ::2]
    decoded = decode_request(encode_request(Request("echo", images=[NamedImage("v", view)])), Limits())
    np.testing.assert_array_equal(decoded.images[0].array, view.astype("<u2"))


def test_received_images_are_read_only_views_without_copy() -> None:
    array = np.ones((4, 4, 3), np.float32)
    frames = encode_request(Request("echo", images=[NamedImage("i", array)]))
    decoded = decode_request(frames, Limits())
    assert not decoded.images[0].array.flags.writeable
    assert np.shares_memory(decoded.images[0].array, frames[1])


@pytest.mark.parametrize("dtype", [np.int32, np.float64, np.bool_])
def test_unsupported_dtypes_are_refused_when_encoding(dtype: type) -> None:
    with pytest.raises(ValueError, match="dtype"):
        encode_request(Request("echo", images=[NamedImage("i", np.zeros((2, 2, 3), dtype))]))


def test_limits_are_checked_before_looking_at_frames() -> None:
    header = {"v": 1, "id": "x", "op": "upscale", "images": [
        {"name": "image", "shape": [10, 10, 4], "dtype": "float32", "frame": 1}]}
    frames = [msgpack.packb(header), b"\0" * 1600]
    with pytest.raises(ProtocolError) as excinfo:
        decode_request(frames, Limits(max_pixels=99))
    assert excinfo.value.code == ErrorCode.TOO_LARGE
    with pytest.raises(ProtocolError) as excinfo:
        decode_request(frames, Limits(max_message_bytes=1599))
    assert excinfo.value.code == ErrorCode.TOO_LARGE
    with pytest.raises(ProtocolError) as excinfo:
        decode_request(frames, Limits(max_header_bytes=10))
    assert excinfo.value.code == ErrorCode.TOO_LARGE


def test_reserved_reply_keys_cannot_be_overwritten_by_the_body() -> None:
    with pytest.raises(ValueError, match="reserved"):
        encode_reply(Reply(ReplyType.RESULT, "r", {"type": "error"}))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), min_size=1, max_size=4))
def test_random_bytes_never_escape_as_anything_but_protocol_error(frames: list[bytes]) -> None:
    try:
        decode_request(frames, Limits())
    except ProtocolError as exc:
        assert exc.code in set(ErrorCode)


@pytest.mark.parametrize("field", ["dtype", "colorspace", "name", "shape", "frame"])
@pytest.mark.parametrize("value", [{}, {"k": "v"}, [1], None, 1.5])
def test_odd_types_in_image_specs_are_bad_requests(field: str, value: object) -> None:
    spec = {"name": "image", "shape": [2, 2, 3], "dtype": "uint8", "frame": 1, "colorspace": "srgb", field: value}
    frames = [msgpack.packb({"v": 1, "id": "x", "op": "echo", "images": [spec]}), b"\0" * 12]
    with pytest.raises(ProtocolError) as excinfo:
        decode_request(frames, Limits())
    assert excinfo.value.code == ErrorCode.BAD_REQUEST
