"""Synchronous Python client: the one every bridge (CLI, Blender add-on, other DCCs) uses.

Every receive is a poll with a timeout, sockets close with linger 0, and after a timeout the
socket is thrown away and rebuilt on the next call (ZeroMQ guide's "Lazy Pirate"), so the
client recovers by itself when a server restarts. A Client is not thread-safe: use one per
thread, and cancel from another thread through `cancel_event`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias, cast

import zmq

from .arguments import MaterialArgs, MultiplyArgs, SeamlessArgs, UpscaleArgs
from .codec import decode_reply, encode_request, image_frame
from .constants import ADDRESS_ENV_VAR, DEFAULT_ADDRESS, ErrorCode, Op, ReplyType, checked_address
from .curve import CurveClientKeys
from .errors import JobCancelledError, ProtocolError, RemoteError, ServerUnavailableError
from .heartbeat import set_heartbeats
from .limits import CLIENT_LIMITS, Limits
from .maps import TEXTURE_MAP_COLORSPACES, map_image_name, variation_image_name
from .messages import ImageArray, NamedImage, Reply, Request
from .shm import (
    THRESHOLD_BYTES,
    Segment,
    SegmentPool,
    SharedMemoryError,
    is_local_address,
    shm_available,
    unlink_segment,
)

ProgressCallback = Callable[[int, int, str], None]
TextureMaps: TypeAlias = Mapping[str, ImageArray | tuple[ImageArray, str]]
"""Map name (`normal`, `roughness`, ...) -> the map, or (the map, its colour space)."""

_POLL_SLICE_S = 0.05
_SIZE_CHECK_THRESHOLD = 1 << 20
"""Requests above this size are checked against the server's advertised limits first."""
_CANCEL_GRACE_S = 2.0


def resolve_address(address: str | None = None) -> str:
    """`address` if given, else $TEXFORGE_SERVER, else tcp://127.0.0.1:5555; AddressError when malformed."""
    return checked_address(address or os.environ.get(ADDRESS_ENV_VAR) or DEFAULT_ADDRESS)


class Client:
    """Talks protocol v1 to one server (or broker) address."""

    def __init__(
        self,
        address: str | None = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        context: zmq.SyncContext | None = None,
        shared_memory: bool | None = None,
        curve: CurveClientKeys | None = None,
    ) -> None:
        self.address = resolve_address(address)
        self.curve = curve
        """Keys for a CurveZMQ server (see `texforge keys`); None for a plain loopback server."""
        self.shared_memory = shared_memory
        """Large images through shared memory: None = when the server is on this host and offers it."""
        self.timeout = timeout
        """Longest silence (seconds) tolerated from the server while a request is open."""
        self.connect_timeout = connect_timeout
        """How long a request may wait for a connection to the server."""
        self._context = context or zmq.Context.instance()
        self._socket: zmq.SyncSocket | None = None
        self._server_info: dict[str, Any] | None = None
        self._pool_instance: SegmentPool | None = None

    # --- socket lifecycle -------------------------------------------------------------

    def _connected_socket(self) -> zmq.SyncSocket:
        if self._socket is None:
            socket = self._context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            if self.curve is not None:
                self.curve.apply(socket)
            socket.setsockopt(zmq.IMMEDIATE, 1)  # queue only to live connections: no stale sends
            set_heartbeats(socket)
            socket.connect(self.address)
            self._socket = socket
        return self._socket

    def reset(self) -> None:
        """Drop the socket (and anything queued on it); the next call reconnects."""
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        self._server_info = None  # a restarted server may have other limits

    @property
    def _pool(self) -> SegmentPool:
        if self._pool_instance is None:
            self._pool_instance = SegmentPool()
        return self._pool_instance

    def close(self) -> None:
        """Release the socket and the shared-memory segments kept for reuse."""
        self.reset()
        if self._pool_instance is not None:
            self._pool_instance.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- generic request --------------------------------------------------------------

    def call(
        self,
        op: str,
        args: Mapping[str, Any] | None = None,
        images: Iterable[NamedImage] = (),
        *,
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Send one request and return its `result` reply; raise RemoteError on `error`.

        `progress(done, total, stage)` is called for each progress reply. Setting
        `cancel_event` (from any thread) asks the server to cancel the job.
        """
        request = Request(op=op, args=dict(args or {}), images=list(images))
        self._check_size(request)
        own_segments = self._move_to_shared_memory(request)
        clean = False
        try:
            self._send(request)
            reply = self._await_final(request.id, progress, cancel_event, timeout or self.timeout)
            clean = True
        except KeyboardInterrupt:
            self._cancel_after_interrupt(request.id)
            raise
        finally:
            if not clean:
                for segment in own_segments.values():
                    self._pool.discard(segment)  # the server may still be reading it
        self._settle_segments(reply, own_segments)
        return reply

    def _settle_segments(self, reply: Reply, own_segments: dict[str, Segment]) -> None:
        """Return request segments to the pool and unlink the server's, once mapped."""
        referenced = set()
        for image in reply.images:
            if image.shm in own_segments:
                referenced.add(image.shm)
                self._pool.release_when_garbage(own_segments[image.shm], image.array)
            elif image.shm is not None:
                unlink_segment(image.shm)  # mapped already: the mapping lives on, the name goes
        for name, segment in own_segments.items():
            if name not in referenced:
                self._pool.release(segment)

    def _uses_shared_memory(self) -> bool:
        if self.shared_memory is False or not shm_available() or not is_local_address(self.address):
            return False
        return bool(self.server_info().get("shared_memory", False))

    def _move_to_shared_memory(self, request: Request) -> dict[str, Segment]:
        """Put large images into pooled segments and ask for shared-memory replies, where possible."""
        if not request.images or not self._uses_shared_memory():
            return {}
        request.reply_shm = True
        segments = {}
        for index, image in enumerate(request.images):
            if image.array.nbytes < THRESHOLD_BYTES:
                continue
            try:
                segment, view = self._pool.fill(image_frame(image.array))
            except SharedMemoryError:
                continue  # no room in /dev/shm: this image travels as a frame
            segments[segment.name] = segment
            request.images[index] = NamedImage(image.name, view, image.colorspace, shm=segment.name)
        return segments

    def server_info(self) -> dict[str, Any]:
        """The server's `hello` data, fetched once per connection."""
        if self._server_info is None:
            self._server_info = self.hello()
        return self._server_info

    def _check_size(self, request: Request) -> None:
        """Refuse locally what the server would drop: ZMQ_MAXMSGSIZE cuts the connection silently."""
        total = sum(image.array.nbytes for image in request.images)
        if total <= _SIZE_CHECK_THRESHOLD:
            return
        limits = Limits.from_wire(self.server_info().get("limits", {}))
        if total > limits.max_message_bytes:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"images of {total / 2**20:.1f} MiB exceed the server's limit of {limits.max_message_bytes / 2**20:.1f} MiB",
            )

    def _send(self, request: Request) -> None:
        socket = self._connected_socket()
        if not socket.poll(int(self.connect_timeout * 1000), zmq.POLLOUT):
            self.reset()
            raise ServerUnavailableError(self.address, self.connect_timeout)
        socket.send_multipart(encode_request(request), copy=False)

    def _await_final(
        self,
        request_id: str,
        progress: ProgressCallback | None,
        cancel_event: threading.Event | None,
        timeout: float,
    ) -> Reply:
        deadline = time.monotonic() + timeout
        cancel_sent = False
        while True:
            if cancel_event is not None and cancel_event.is_set() and not cancel_sent:
                self._send_cancel(request_id)
                cancel_sent = True
            reply = self._receive(request_id, min(_POLL_SLICE_S, max(0.0, deadline - time.monotonic())))
            if reply is None:
                if time.monotonic() >= deadline:
                    self.reset()
                    raise ServerUnavailableError(self.address, timeout)
                continue
            deadline = time.monotonic() + timeout
            if reply.type == ReplyType.PROGRESS and progress is not None:
                progress(int(reply.body.get("done", 0)), int(reply.body.get("total", 0)), str(reply.body.get("stage", "")))
            if reply.is_final:
                return _result_or_raise(reply)

    def _receive(self, request_id: str, wait_s: float) -> Reply | None:
        socket = self._connected_socket()
        if not socket.poll(int(wait_s * 1000)):
            return None
        frames = socket.recv_multipart(copy=False)
        try:
            reply = decode_reply(frames, CLIENT_LIMITS, allow_shm=True)
        except ProtocolError:
            return None  # not ours to answer; a broken reply counts as silence
        return reply if reply.re == request_id else None

    def _send_cancel(self, target_id: str) -> None:
        cancel = Request(op=Op.CANCEL, args={"target": target_id})
        self._connected_socket().send_multipart(encode_request(cancel), copy=False)

    def _cancel_after_interrupt(self, request_id: str) -> None:
        try:
            self._send_cancel(request_id)
            self._await_final(request_id, None, None, _CANCEL_GRACE_S)
        except (RemoteError, ServerUnavailableError, zmq.ZMQError):
            pass  # the job is gone either way; the caller is being interrupted
        finally:
            self.reset()

    # --- operations -------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        """Server name, versions, device, limits and supported ops."""
        return _result_data(self.call(Op.HELLO))

    def ping(self) -> float:
        """Round-trip time in seconds."""
        start = time.perf_counter()
        self.call(Op.PING)
        return time.perf_counter() - start

    def models(self) -> dict[str, Any]:
        """`{"models": [descriptor, ...], "defaults": {kind: name}}`."""
        return _result_data(self.call(Op.MODELS))

    def echo(self, images: Mapping[str, ImageArray]) -> dict[str, ImageArray]:
        """Send images and get them back unchanged (transport diagnostics)."""
        reply = self.call(Op.ECHO, images=[NamedImage(n, a) for n, a in images.items()])
        return {image.name: image.array for image in reply.images}

    def cancel(self, target_id: str) -> bool:
        """Ask the server to cancel request `target_id` sent from this client's socket."""
        return bool(_result_data(self.call(Op.CANCEL, {"target": target_id})).get("cancelled"))

    def upscale(
        self,
        image: ImageArray,
        args: UpscaleArgs | None = None,
        *,
        colorspace: str = "srgb",
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        **arguments: Any,
    ) -> ImageArray:
        """Upscale an H x W x C image; the result has the same dtype and channel count.

        Pass `UpscaleArgs`, or its fields as keywords: `client.upscale(image, scale=4, tileable=True)`.
        """
        op_args = UpscaleArgs.of(args, arguments)
        reply = self.call(Op.UPSCALE, op_args.to_wire(), [NamedImage("image", image, colorspace)],
                          progress=progress, cancel_event=cancel_event)
        return _required_image(reply, "image")

    def material(
        self,
        flash: ImageArray,
        guide: ImageArray | None = None,
        args: MaterialArgs | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        **arguments: Any,
    ) -> tuple[dict[str, ImageArray], dict[str, Any]]:
        """Estimate SVBRDF maps from a flash photo (and optional guide); returns (maps, info).

        Pass `MaterialArgs`, or its fields as keywords: `client.material(photo, size=1024, refine_steps=30)`.
        """
        op_args = MaterialArgs.of(args, arguments)
        images = [NamedImage("flash", flash)]
        if guide is not None:
            images.append(NamedImage("guide", guide))
        reply = self.call(Op.MATERIAL, op_args.to_wire(), images, progress=progress, cancel_event=cancel_event)
        return {image.name: image.array for image in reply.images}, _result_data(reply)

    def multiply(
        self,
        image: ImageArray,
        args: MultiplyArgs | None = None,
        maps: TextureMaps | None = None,
        *,
        colorspace: str = "srgb",
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        **arguments: Any,
    ) -> tuple[list[dict[str, ImageArray]], dict[str, Any]]:
        """New variations of a texture (and of its maps, aligned with it); returns (variations, info).

        Each variation is a dict with `image` and one entry per map name; `info` holds the `seeds`
        used. Pass `MultiplyArgs`, or its fields as keywords:
        `client.multiply(albedo, maps={"normal": normal}, count=4, size=(2048, 2048), tileable=True)`.
        """
        op_args = MultiplyArgs.of(args, arguments)
        images = [NamedImage("image", image, colorspace), *_map_images(maps)]
        reply = self.call(Op.MULTIPLY, op_args.to_wire(), images, progress=progress, cancel_event=cancel_event)
        names = list(maps or {})
        variations = [
            {"image": _required_image(reply, variation_image_name(index)),
             **{name: _required_image(reply, variation_image_name(index, name)) for name in names}}
            for index in range(1, op_args.count + 1)
        ]
        return variations, _result_data(reply)

    def seamless(
        self,
        image: ImageArray,
        args: SeamlessArgs | None = None,
        maps: TextureMaps | None = None,
        *,
        colorspace: str = "srgb",
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        **arguments: Any,
    ) -> tuple[dict[str, ImageArray], dict[str, Any]]:
        """A photo (and its maps) made tileable at its own size; returns ({`image`, map names...}, info).

        Pass `SeamlessArgs`, or its fields as keywords: `client.seamless(photo, border=0.2)`.
        """
        op_args = SeamlessArgs.of(args, arguments)
        images = [NamedImage("image", image, colorspace), *_map_images(maps)]
        reply = self.call(Op.SEAMLESS, op_args.to_wire(), images, progress=progress, cancel_event=cancel_event)
        result = {"image": _required_image(reply, "image")}
        result.update({name: _required_image(reply, map_image_name(name)) for name in (maps or {})})
        return result, _result_data(reply)


def _map_images(maps: TextureMaps | None) -> list[NamedImage]:
    """`map:NAME` images, each in its given colour space or the map's default one."""
    images = []
    for name, value in (maps or {}).items():
        wire_name = map_image_name(name)
        array, colorspace = value if isinstance(value, tuple) else (value, TEXTURE_MAP_COLORSPACES[name])
        images.append(NamedImage(wire_name, array, colorspace))
    return images


def _result_or_raise(reply: Reply) -> Reply:
    if reply.type == ReplyType.RESULT:
        return reply
    code = str(reply.body.get("code", ErrorCode.INTERNAL))
    message = str(reply.body.get("message", "no message"))
    error_type = JobCancelledError if code == ErrorCode.CANCELLED else RemoteError
    raise error_type(code, message, reply.re)


def _result_data(reply: Reply) -> dict[str, Any]:
    # wire data: the op's result map as documented in protocol/README.md, unchecked here
    return cast(dict[str, Any], reply.body.get("data", {}))


def _required_image(reply: Reply, name: str) -> ImageArray:
    image = reply.image(name)
    if image is None:
        raise RemoteError(ErrorCode.INTERNAL, f"result has no image named {name!r}", reply.re)
    return image.array
