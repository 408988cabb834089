"""Encode and decode multipart messages: frame 0 = msgpack header, frames 1..n = raw images.

Decoding validates everything a message claims (header size, types, shapes, dtypes, frame
count and lengths) before any allocation proportional to those claims. Image arrays are
read-only views on the received frames: no copy is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import msgpack
import numpy as np

from .constants import (
    COLORSPACES,
    DTYPES,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    PROTOCOL_VERSION,
    ErrorCode,
    ReplyType,
)
from .errors import ProtocolError
from .limits import Limits
from .messages import ImageArray, NamedImage, Reply, Request
from .shm import SharedMemoryError, map_segment

Frame = Any
"""bytes, memoryview, zmq.Frame or a contiguous numpy array: anything with the buffer protocol."""

_REPLY_KEYS = frozenset({"v", "id", "re", "type", "images"})
# msgpack signals garbage through several unrelated exception types; its own unpack limits
# scale with the (already bounded) header length.
_MSGPACK_ERRORS = (ValueError, TypeError, OverflowError, RecursionError, msgpack.UnpackException)
_DTYPE_NAMES = {np.dtype(code): name for name, code in DTYPES.items()}
_REPLY_TYPE_NAMES = frozenset(str(t) for t in ReplyType)
_T = TypeVar("_T")


def _bad(message: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> ProtocolError:
    return ProtocolError(code, message)


# --- encoding -------------------------------------------------------------------------


def wire_dtype_name(dtype: np.dtype[Any]) -> str:
    """Wire name of a numpy dtype; ValueError for dtypes the protocol does not carry."""
    name = _DTYPE_NAMES.get(np.dtype(dtype).newbyteorder("<"))
    if name is None:
        raise ValueError(f"dtype {dtype} is not one of {sorted(DTYPES)}")
    return name


def image_frame(array: ImageArray) -> ImageArray:
    """The array as a C-contiguous little-endian H x W x C buffer ready to send."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or not 1 <= array.shape[2] <= 4:
        raise ValueError(f"image shape {array.shape} is not H x W x C with C in 1..4")
    wire_dtype_name(array.dtype)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return np.ascontiguousarray(little)


def _encode_images(images: Sequence[NamedImage]) -> tuple[list[dict[str, Any]], list[ImageArray]]:
    specs: list[dict[str, Any]] = []
    buffers: list[ImageArray] = []
    for image in images:
        buffer = image_frame(image.array)
        spec: dict[str, Any] = {"name": image.name, "shape": list(buffer.shape), "dtype": wire_dtype_name(buffer.dtype)}
        if image.shm is not None:
            spec["shm"] = image.shm  # the bytes are already in the segment: no frame
        else:
            buffers.append(buffer)
            spec["frame"] = len(buffers)
        spec["colorspace"] = image.colorspace
        specs.append(spec)
    return specs, buffers


def pack_header(header: dict[str, Any]) -> bytes:
    """msgpack-encode a header map (str keys, bin type for bytes)."""
    return cast(bytes, msgpack.packb(header, use_bin_type=True))  # msgpack has no type hints


def encode_request(request: Request) -> list[Frame]:
    """Frames of a request: header then one raw buffer per image (no copy when contiguous)."""
    specs, buffers = _encode_images(request.images)
    header = {
        "v": request.v,
        "id": request.id,
        "op": request.op,
        "args": request.args,
        "images": specs,
    }
    if request.reply_shm:
        header["reply_shm"] = True
    return [pack_header(header), *buffers]


def encode_reply(reply: Reply) -> list[Frame]:
    """Frames of a reply: header (envelope + body fields) then raw image buffers."""
    clash = _REPLY_KEYS.intersection(reply.body)
    if clash:
        raise ValueError(f"reply body uses reserved keys {sorted(clash)}")
    specs, buffers = _encode_images(reply.images)
    header = {"v": reply.v, "id": reply.id, "re": reply.re, "type": str(reply.type)}
    header.update(reply.body)
    header["images"] = specs
    return [pack_header(header), *buffers]


# --- decoding -------------------------------------------------------------------------


@dataclass(frozen=True)
class _ImageSpec:
    name: str
    shape: tuple[int, int, int]
    dtype: np.dtype[Any]
    frame: int | None
    shm: str | None
    colorspace: str

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.shape[1] * self.shape[2] * self.dtype.itemsize


def _frame_bytes(frame: Frame) -> memoryview:
    buffer = getattr(frame, "buffer", None)  # zmq.Frame received with copy=False
    view = memoryview(buffer if buffer is not None else frame)
    return view.cast("B") if view.ndim != 1 or view.format != "B" else view


def decode_header(frame: Frame, limits: Limits) -> dict[str, Any]:
    """Unpack the header frame; ProtocolError unless it is a msgpack map with str keys."""
    data = _frame_bytes(frame)
    if len(data) > limits.max_header_bytes:
        raise _bad(f"header of {len(data)} bytes exceeds {limits.max_header_bytes}", ErrorCode.TOO_LARGE)
    try:
        header = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            ext_hook=_refuse_ext,
        )
    except ProtocolError:
        raise
    except _MSGPACK_ERRORS as exc:
        raise _bad(f"header is not valid msgpack: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise _bad("header is not a map")
    return header


def _refuse_ext(code: int, data: bytes) -> Any:
    raise _bad(f"msgpack extension type {code} is not allowed")


def _require(header: dict[str, Any], key: str, kind: type[_T], default: Any = None) -> _T:
    value = header.get(key, default)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise _bad(f"field {key!r} must be {kind.__name__}, got {type(value).__name__}")
    return value


def check_version(header: dict[str, Any]) -> None:
    """ProtocolError(unsupported_version) unless the header speaks our major version."""
    version = header.get("v")
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        raise _bad(
            f"protocol version {version!r} is not supported (server speaks v{PROTOCOL_VERSION})",
            ErrorCode.UNSUPPORTED_VERSION,
        )


def _short_str(header: dict[str, Any], key: str, max_length: int) -> str:
    value = _require(header, key, str)
    if not value or len(value) > max_length:
        raise _bad(f"field {key!r} must be 1..{max_length} characters")
    return value


def request_id_of(header: dict[str, Any]) -> str | None:
    """The request id if the header has a usable one (to address an error reply)."""
    value = header.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH else None


def _decode_shape(spec: dict[str, Any], limits: Limits) -> tuple[int, int, int]:
    shape = spec.get("shape")
    if not isinstance(shape, list) or len(shape) != 3:
        raise _bad("image shape must be [height, width, channels]")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise _bad("image shape entries must be integers")
    height, width, channels = shape
    if height <= 0 or width <= 0:
        raise _bad(f"image shape {shape} has a non-positive side")
    if not 1 <= channels <= 4:
        raise _bad(f"image has {channels} channels; 1..4 are allowed")
    if height * width > limits.max_pixels:
        raise _bad(
            f"image of {height}x{width} exceeds the limit of {limits.max_pixels} pixels",
            ErrorCode.TOO_LARGE,
        )
    return height, width, channels


def _decode_spec(spec: Any, frame_count: int, limits: Limits, allow_shm: bool) -> _ImageSpec:
    if not isinstance(spec, dict):
        raise _bad("each image description must be a map")
    name = _short_str(spec, "name", MAX_NAME_LENGTH)
    shape = _decode_shape(spec, limits)
    dtype_name = spec.get("dtype")
    if not isinstance(dtype_name, str) or dtype_name not in DTYPES:
        raise _bad(f"image dtype {dtype_name!r} is not one of {sorted(DTYPES)}")
    colorspace = spec.get("colorspace", "srgb")
    if not isinstance(colorspace, str) or colorspace not in COLORSPACES:
        raise _bad(f"colorspace {colorspace!r} is not one of {list(COLORSPACES)}")
    dtype = np.dtype(DTYPES[dtype_name])
    if "shm" in spec:
        if not allow_shm:
            raise _bad("shared-memory images are not accepted here (see `shared_memory` in hello)")
        return _ImageSpec(name, shape, dtype, None, str(spec["shm"]), colorspace)
    frame = spec.get("frame")
    if not isinstance(frame, int) or isinstance(frame, bool) or not 1 <= frame <= frame_count:
        raise _bad(f"image frame index {frame!r} is not in 1..{frame_count}")
    return _ImageSpec(name, shape, dtype, frame, None, colorspace)


def decode_images(
    header: dict[str, Any], frames: Sequence[Frame], limits: Limits, allow_shm: bool = False
) -> list[NamedImage]:
    """Images described by `header["images"]` as read-only views on `frames` (frames[0] is the
    header) or, where allowed, on shared-memory segments."""
    specs = _require(header, "images", list, default=[])
    image_frames = len(frames) - 1
    if len(specs) > limits.max_images:
        raise _bad(f"{len(specs)} images exceed the limit of {limits.max_images}", ErrorCode.TOO_LARGE)
    decoded = [_decode_spec(spec, image_frames, limits, allow_shm) for spec in specs]
    framed = [d for d in decoded if d.frame is not None]
    if len(framed) != image_frames:
        raise _bad(f"header describes {len(framed)} image frames but {image_frames} arrived")
    _check_unique([d.name for d in decoded], "image names")
    _check_unique([d.frame for d in framed], "image frame indices")
    claimed = sum(d.nbytes for d in decoded)
    if claimed > limits.max_message_bytes:
        raise _bad(f"images of {claimed} bytes exceed {limits.max_message_bytes}", ErrorCode.TOO_LARGE)
    return [_bind_image(d, frames) for d in decoded]


def _bind_image(spec: _ImageSpec, frames: Sequence[Frame]) -> NamedImage:
    if spec.frame is not None:
        return _view_image(spec, _frame_bytes(frames[spec.frame]))
    assert spec.shm is not None  # _decode_spec sets exactly one of `frame` and `shm`
    try:
        data = memoryview(map_segment(spec.shm, spec.nbytes))
    except SharedMemoryError as exc:
        raise _bad(str(exc)) from None
    return _view_image(spec, data)


def _check_unique(values: list[Any], what: str) -> None:
    if len(set(values)) != len(values):
        raise _bad(f"{what} must be unique")


def _view_image(spec: _ImageSpec, data: memoryview) -> NamedImage:
    if len(data) != spec.nbytes:
        raise _bad(f"image {spec.name!r} frame has {len(data)} bytes, shape and dtype need {spec.nbytes}")
    array = np.frombuffer(data, dtype=spec.dtype).reshape(spec.shape)
    array.flags.writeable = False  # a view on a received buffer: callers copy before changing it
    return NamedImage(name=spec.name, array=array, colorspace=spec.colorspace, shm=spec.shm)


def decode_request(frames: Sequence[Frame], limits: Limits, allow_shm: bool = False) -> Request:
    """Validate and decode a request; ProtocolError names the first problem found."""
    if not frames:
        raise _bad("empty message")
    return request_from_header(decode_header(frames[0], limits), frames, limits, allow_shm)


def request_from_header(
    header: dict[str, Any], frames: Sequence[Frame], limits: Limits, allow_shm: bool = False
) -> Request:
    """Validate an already unpacked request header and bind its images to `frames`."""
    check_version(header)
    request_id = _short_str(header, "id", MAX_ID_LENGTH)
    op = _short_str(header, "op", MAX_NAME_LENGTH)
    args = _require(header, "args", dict, default={})
    reply_shm = _require(header, "reply_shm", bool, default=False)
    images = decode_images(header, frames, limits, allow_shm)
    return Request(op=op, args=args, images=images, id=request_id, v=PROTOCOL_VERSION, reply_shm=reply_shm)


def decode_reply(frames: Sequence[Frame], limits: Limits, allow_shm: bool = False) -> Reply:
    """Validate and decode a reply; ProtocolError names the first problem found."""
    if not frames:
        raise _bad("empty message")
    header = decode_header(frames[0], limits)
    check_version(header)
    type_name = header.get("type")
    if not isinstance(type_name, str) or type_name not in _REPLY_TYPE_NAMES:
        raise _bad(f"unknown reply type {type_name!r}")
    reply_type = ReplyType(type_name)
    re = header.get("re")
    if re is not None and not isinstance(re, str):
        raise _bad("field 're' must be a string or nil")
    images = decode_images(header, frames, limits, allow_shm)
    body = {k: v for k, v in header.items() if k not in _REPLY_KEYS}
    message_id = header.get("id")
    return Reply(type=reply_type, re=re, body=body, images=images, id=message_id if isinstance(message_id, str) else "")
