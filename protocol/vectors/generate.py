"""Write (or check) the protocol v1 conformance vectors in this folder.

Each vector is a JSON file: the raw frames of one message (hex) and what a conforming
decoder must make of them: the decoded header fields and images, or the error code.
Run `python protocol/vectors/generate.py` to rewrite, `--check` to compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TypeAlias, cast

import msgpack
import numpy as np
import numpy.typing as npt

HERE = Path(__file__).resolve().parent

_Image: TypeAlias = tuple[dict[str, Any], npt.NDArray[Any]]
"""An image spec and the array it describes."""
_ValidCase: TypeAlias = tuple[str, str, list[bytes], dict[str, Any], list[_Image]]
"""Name, direction ('request' or 'reply'), frames, header, images."""


def _header(**fields: Any) -> bytes:
    return cast(bytes, msgpack.packb(fields, use_bin_type=True))  # msgpack has no type hints


def _spec(name: str, array: npt.NDArray[Any], frame: int, colorspace: str = "srgb") -> dict[str, Any]:
    dtype = {np.uint8: "uint8", np.uint16: "uint16", np.float16: "float16", np.float32: "float32"}[array.dtype.type]
    return {"name": name, "shape": list(array.shape), "dtype": dtype, "frame": frame, "colorspace": colorspace}


def _image_expect(spec: dict[str, Any], array: npt.NDArray[Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ("name", "shape", "dtype", "colorspace")} | {"values": array.ravel().tolist()}


def _valid_cases() -> list[dict[str, Any]]:
    rgb8 = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    gray16 = (np.arange(4, dtype=np.uint16) * 16000 + 7).reshape(2, 2, 1)
    rgba_f16 = np.linspace(-1, 2, 8, dtype=np.float16).reshape(1, 2, 4)
    la_f32 = np.array([[[0.25, 1.0], [3.5, -0.0]]], dtype=np.float32)
    cases: list[_ValidCase] = []
    ping = {"v": 1, "id": "r1", "op": "ping", "args": {}, "images": []}
    cases.append(("request_ping", "request", [_header(**ping)], ping, []))
    spec = _spec("image", rgb8, 1)
    up = {"v": 1, "id": "r2", "op": "upscale", "args": {"scale": 2, "tileable": True}, "images": [spec]}
    cases.append(("request_upscale_rgb8", "request", [_header(**up), rgb8.tobytes()], up, [(spec, rgb8)]))
    specs = [_spec("flash", gray16, 2, "linear"), _spec("guide", rgba_f16, 1, "srgb")]
    mat = {"v": 1, "id": "r3", "op": "material", "args": {"size": 512}, "images": specs}
    frames = [_header(**mat), rgba_f16.astype("<f2").tobytes(), gray16.astype("<u2").tobytes()]
    cases.append(("request_material_frame_order", "request", frames, mat, [(specs[0], gray16), (specs[1], rgba_f16)]))
    rough16 = (np.arange(6, dtype=np.uint16) * 10000 + 3).reshape(2, 3, 1)  # maps share the image's size
    specs = [_spec("image", rgb8, 1), _spec("map:normal", rgb8[::-1], 2, "data"), _spec("map:roughness", rough16, 3, "data")]
    mult = {"v": 1, "id": "r5", "op": "multiply", "args": {"count": 2, "size": [512, 256], "tileable": True, "seed": 7},
            "images": specs}
    frames = [_header(**mult), rgb8.tobytes(), rgb8[::-1].tobytes(), rough16.astype("<u2").tobytes()]
    cases.append(("request_multiply_maps", "request", frames, mult,
                  [(specs[0], rgb8), (specs[1], rgb8[::-1]), (specs[2], rough16)]))
    extra = {"v": 1, "id": "r4", "op": "hello", "args": {}, "images": [], "future_field": {"x": 1}}
    cases.append(("request_unknown_field_ignored", "request", [_header(**extra)], extra, []))
    spec = _spec("image", la_f32, 1, "data")
    result = {"v": 1, "id": "s1", "re": "r2", "type": "result", "data": {"model": "bicubic"}, "images": [spec]}
    cases.append(("reply_result_f32", "reply", [_header(**result), la_f32.astype("<f4").tobytes()], result, [(spec, la_f32)]))
    progress = {"v": 1, "id": "s2", "re": "r2", "type": "progress", "done": 3, "total": 9, "stage": "tiles", "images": []}
    cases.append(("reply_progress", "reply", [_header(**progress)], progress, []))
    error = {"v": 1, "id": "s3", "re": "r9", "type": "error", "code": "busy", "message": "server busy", "images": []}
    cases.append(("reply_error_busy", "reply", [_header(**error)], error, []))
    return [
        {"name": name, "direction": direction, "frames_hex": [f.hex() for f in frames],
         "expect": {"header": {k: v for k, v in header.items() if k != "images"},
                    "images": [_image_expect(s, a) for s, a in images]}}
        for name, direction, frames, header, images in cases
    ]


def _error_cases() -> list[dict[str, Any]]:
    base = {"v": 1, "id": "e", "op": "upscale", "args": {}}
    img = np.zeros((2, 2, 3), np.uint8)

    def with_images(specs: list[dict[str, Any]], *payloads: bytes, **changes: Any) -> list[bytes]:
        return [_header(**{**base, **changes, "images": specs}), *payloads]

    good = _spec("image", img, 1)
    cases = [
        ("garbage_header", [b"\xc1\xff\x00garbage"], "bad_request"),
        ("header_not_a_map", [msgpack.packb([1, 2, 3])], "bad_request"),
        ("wrong_version", [_header(v=2, id="e", op="ping")], "unsupported_version"),
        ("missing_id", [_header(v=1, op="ping")], "bad_request"),
        ("args_not_a_map", [_header(v=1, id="e", op="ping", args=[1])], "bad_request"),
        ("frame_count_mismatch", with_images([good]), "bad_request"),
        ("extra_frame", with_images([], img.tobytes()), "bad_request"),
        ("frame_size_mismatch", with_images([good], img.tobytes()[:-1]), "bad_request"),
        ("bad_dtype", with_images([{**good, "dtype": "int64"}], img.tobytes()), "bad_request"),
        ("zero_height", with_images([{**good, "shape": [0, 2, 3]}], b""), "bad_request"),
        ("negative_width", with_images([{**good, "shape": [2, -2, 3]}], img.tobytes()), "bad_request"),
        ("five_channels", with_images([{**good, "shape": [2, 2, 5]}], bytes(20)), "bad_request"),
        ("huge_shape", with_images([{**good, "shape": [1 << 20, 1 << 20, 4]}], img.tobytes()), "too_large"),
        ("frame_index_out_of_range", with_images([{**good, "frame": 2}], img.tobytes()), "bad_request"),
        ("duplicate_names", with_images([good, {**good, "frame": 2}], img.tobytes(), img.tobytes()), "bad_request"),
        ("bad_colorspace", with_images([{**good, "colorspace": "cmyk"}], img.tobytes()), "bad_request"),
        ("ext_type", [msgpack.packb({"v": 1, "id": "e", "op": msgpack.ExtType(5, b"x")})], "bad_request"),
    ]
    return [
        {"name": f"error_{name}", "direction": "request", "frames_hex": [f.hex() for f in frames],
         "expect": {"error": code}}
        for name, frames, code in cases
    ]


def all_vectors() -> list[dict[str, Any]]:
    """Every vector, valid ones first."""
    return _valid_cases() + _error_cases()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the stored vectors differ")
    args = parser.parse_args()
    stale = []
    for vector in all_vectors():
        path = HERE / f"{vector['name']}.json"
        text = json.dumps(vector, indent=1, sort_keys=True) + "\n"
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print("stale vectors: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
