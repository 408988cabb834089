"""What a photo's EXIF records that a request needs: its field of view and its orientation.

Phones store the 35 mm-equivalent focal length (EXIF ``FocalLengthIn35mmFilm``): the focal
length that would give the same diagonal field of view on a 36 x 24 mm frame. A material request
wants the horizontal field of view of the pixels it sends (the CLI turns a photo upright as its
EXIF orientation says, Blender does not: each passes the size of what it sends), so the diagonal
tangent is scaled by width over diagonal.

The Orientation tag says how the stored pixels turn to be seen upright (phones store portrait
photos as landscape pixels with tag 6); ``upright`` turns them, for the server's reader and for the
add-on, whose Blender loader ignores the tag.

Pure Python over the file's bytes (JPEG APP1 and PNG eXIf), so that the CLI and the Blender
add-on, which has no imaging library, read it the same way.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .arguments import MaterialArgs

FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)
EXIF_IFD_POINTER = 0x8769
FOCAL_LENGTH_IN_35MM = 0xA405
ORIENTATION = 0x0112
"""EXIF/TIFF Orientation: 1 (as stored) to 8, the TIFF 6.0 meanings (``upright``)."""
_JPEG_START = b"\xff\xd8"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_HEADER = b"Exif\x00\x00"
_MAX_EXIF_BYTES = 1 << 20
"""An EXIF block larger than this is not a camera's: it is not read."""


def fov_from_35mm_focal_length(focal_35mm: float, width: int, height: int) -> float:
    """Horizontal field of view in degrees of a ``width`` x ``height`` frame."""
    half_diagonal_tangent = FULL_FRAME_DIAGONAL_MM / (2 * focal_35mm)
    return math.degrees(2 * math.atan(half_diagonal_tangent * width / math.hypot(width, height)))


def recorded_fov_degrees(path: str | Path, width: int, height: int) -> float | None:
    """The horizontal field of view of ``path`` (sent as ``width`` x ``height`` pixels) that its
    EXIF records, or None: no EXIF or no such tag, not a JPEG or PNG, unreadable, or a value outside
    the request's bounds (then the tag is likelier wrong than the lens)."""
    return fov_of_exif_block(_file_exif_block(path), width, height)


def fov_of_exif_block(block: bytes | None, width: int, height: int) -> float | None:
    """``recorded_fov_degrees`` of a TIFF-structured EXIF block (a leading ``Exif\\0\\0`` is
    skipped), for formats whose container a caller has opened itself (HEIF)."""
    block = _without_exif_header(block)
    focal = _focal_length_35mm(block) if block else None
    if not focal or width <= 0 or height <= 0:
        return None
    fov = fov_from_35mm_focal_length(focal, width, height)
    bounds = MaterialArgs.spec("fov_degrees")
    low, high = bounds.low or 0.0, bounds.high or 180.0
    return fov if low <= fov <= high else None


def recorded_orientation(path: str | Path) -> int:
    """The Orientation tag of a JPEG or PNG file's EXIF; 1 (as stored) when there is none or it is
    unreadable."""
    return orientation_of_exif_block(_file_exif_block(path))


def orientation_of_exif_block(block: bytes | None) -> int:
    """``recorded_orientation`` of a TIFF-structured EXIF block (a leading ``Exif\\0\\0`` is skipped)."""
    block = _without_exif_header(block)
    start = _tiff_start(block) if block else None
    if not block or start is None:
        return 1
    try:
        value = _tag_number(block, *start, ORIENTATION)
    except (struct.error, IndexError, ValueError):
        return 1
    return valid_orientation(value)


def valid_orientation(value: object) -> int:
    """``value`` when it is an Orientation (1-8), else 1: a broken tag leaves the pixels as stored."""
    return int(value) if isinstance(value, int | float) and value in range(1, 9) else 1


def upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """The stored pixels (rows first) turned as the Orientation tag says."""
    turned = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],                   # mirrored left-right
        3: lambda a: a[::-1, ::-1],                # upside down
        4: lambda a: a[::-1],                      # mirrored top-bottom
        5: lambda a: a.swapaxes(0, 1),             # transposed
        6: lambda a: np.rot90(a, k=-1),            # stored turned a quarter anticlockwise
        7: lambda a: a[::-1, ::-1].swapaxes(0, 1),  # transversed
        8: lambda a: np.rot90(a, k=1),             # stored turned a quarter clockwise
    }[valid_orientation(orientation)](image)
    return np.ascontiguousarray(turned)


def _file_exif_block(path: str | Path) -> bytes | None:
    """The EXIF block of a JPEG or PNG file, or None (none, another format, or unreadable)."""
    try:
        with open(path, "rb") as stream:
            return _exif_block(stream)
    except OSError:
        return None


def _without_exif_header(block: bytes | None) -> bytes | None:
    """``block`` without the ``Exif\\0\\0`` that JPEG segments and some containers put before the TIFF."""
    return block[len(_EXIF_HEADER):] if block and block.startswith(_EXIF_HEADER) else block


def _exif_block(stream: BinaryIO) -> bytes | None:
    """The TIFF-structured EXIF block of a JPEG or PNG stream, or None."""
    head = stream.read(8)
    if head.startswith(_JPEG_START):
        stream.seek(2)
        return _jpeg_exif(stream)
    if head == _PNG_SIGNATURE:
        return _png_exif(stream)
    return None


def _jpeg_exif(stream: BinaryIO) -> bytes | None:
    while True:
        marker = stream.read(4)
        if len(marker) < 4 or marker[0] != 0xFF or marker[1] == 0xDA:  # start of scan: no more metadata
            return None
        length = struct.unpack(">H", marker[2:])[0] - 2
        if marker[1] == 0xE1 and length <= _MAX_EXIF_BYTES:
            segment = stream.read(length)
            if segment.startswith(_EXIF_HEADER):
                return segment[len(_EXIF_HEADER):]
        else:
            stream.seek(length, 1)


def _png_exif(stream: BinaryIO) -> bytes | None:
    while True:
        header = stream.read(8)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I", header[:4])[0], header[4:]
        if kind == b"eXIf" and length <= _MAX_EXIF_BYTES:
            return stream.read(length)
        if kind == b"IEND":
            return None
        stream.seek(length + 4, 1)  # the data and its CRC


def _tiff_start(tiff: bytes) -> tuple[str, int] | None:
    """The byte order (``<`` or ``>``) and the first directory's offset of a TIFF structure."""
    try:
        order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
        if order is None or struct.unpack(order + "H", tiff[2:4])[0] != 42:
            return None
        return order, struct.unpack(order + "I", tiff[4:8])[0]
    except struct.error:
        return None


def _focal_length_35mm(tiff: bytes) -> float | None:
    start = _tiff_start(tiff)
    if start is None:
        return None
    order, first_ifd = start
    try:
        exif_ifd = _tag_number(tiff, order, first_ifd, EXIF_IFD_POINTER)
        return _tag_number(tiff, order, int(exif_ifd), FOCAL_LENGTH_IN_35MM) if exif_ifd else None
    except (struct.error, IndexError, ValueError):
        return None


def _tag_number(tiff: bytes, order: str, ifd: int, tag: int) -> float | None:
    """The single SHORT, LONG or RATIONAL value of ``tag`` in the IFD at ``ifd``, or None."""
    count = struct.unpack(order + "H", tiff[ifd:ifd + 2])[0]
    for index in range(count):
        entry = tiff[ifd + 2 + 12 * index:ifd + 14 + 12 * index]
        found, kind, values = struct.unpack(order + "HHI", entry[:8])
        if found != tag or values != 1:
            continue
        if kind == 3:
            return float(struct.unpack(order + "H", entry[8:10])[0])
        if kind == 4:
            return float(struct.unpack(order + "I", entry[8:12])[0])
        if kind == 5:
            offset = struct.unpack(order + "I", entry[8:12])[0]
            numerator, denominator = struct.unpack(order + "II", tiff[offset:offset + 8])
            return numerator / denominator if denominator else None
        return None
    return None
