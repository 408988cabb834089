"""Read and write images at full precision: 8/16-bit PNG and TIFF, 32-bit float TIFF, half/float EXR.

Arrays are H x W x C in RGB(A) order with the file's own dtype (uint8, uint16, float16 or float32).
Reading checks the size the header claims against a pixel limit before decoding anything.
Writing goes to a temporary file beside the target, renamed over it only once complete.
"""

from __future__ import annotations

import os
import re
import secrets
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import numpy as np
import OpenEXR
from PIL import Image, PngImagePlugin, TiffImagePlugin
from pillow_heif import register_heif_opener

from ..protocol.exif import ORIENTATION, orientation_of_exif_block, upright, valid_orientation
from ..protocol.limits import Limits

register_heif_opener()  # iPhones store their photos as HEIC; PIL reads them through this plugin

READABLE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".webp", ".hdr", ".exr", ".heic", ".heif")
WRITABLE_SUFFIXES = {
    ".png": (np.uint8, np.uint16),
    ".tif": (np.uint8, np.uint16, np.float32),
    ".tiff": (np.uint8, np.uint16, np.float32),
    ".jpg": (np.uint8,),
    ".jpeg": (np.uint8,),
    ".exr": (np.float16, np.float32),
}
FLOAT_ONLY_SUFFIXES = (".hdr",)
"""Readable types that always hold floating-point pixels."""


def substitute_suffix(suffix: str, dtype: np.dtype | None = None) -> str:
    """The file type written in place of a source type that cannot be written (.bmp, .webp, .hdr,
    .heic): .exr for floating-point pixels, .png for integer ones; without ``dtype``, as the
    source type usually holds them."""
    floating = suffix.lower() in FLOAT_ONLY_SUFFIXES if dtype is None else np.dtype(dtype).kind == "f"
    return ".exr" if floating else ".png"


DEFAULT_MAX_PIXELS = Limits().max_pixels
"""The protocol's default input limit: what `read_image` accepts unless told otherwise."""


_TIFF_LZW = [cv2.IMWRITE_TIFF_COMPRESSION, 5]
_ENCODE_PARAMS = {".tif": _TIFF_LZW, ".tiff": _TIFF_LZW}
"""Explicit lossless compression: some OpenCV builds' default TIFF compression loses float precision."""


class ImageFormatError(ValueError):
    """The file cannot be read or written as an image in the requested form."""


@dataclass(frozen=True)
class ImageHeader:
    """What a file's header claims, read without decoding any pixel."""

    width: int
    height: int
    format: str
    """Format name: EXR, TIFF, HDR, or PIL's name for it (PNG, JPEG, ...)."""
    orientation: int = 1
    """EXIF/TIFF Orientation tag (1-8; 1: the pixels are stored as they are meant to be seen)."""

    @property
    def pixels(self) -> int:
        """Pixels the header claims (width x height)."""
        return self.width * self.height


def read_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image as H x W x C RGB(A) with its stored bit depth.

    A file whose header claims more than `max_pixels` is refused before any decoding; a
    truncated or corrupt file raises ImageFormatError (one line, nothing printed).
    """
    path = Path(path)
    header = probe_image(path)
    if header.pixels > max_pixels:
        raise ImageFormatError(f"{path}: {header.width}x{header.height} is {header.pixels:,} pixels, "
                               f"above the pixel limit of {max_pixels:,}")
    if header.format == "EXR":
        return _read_exr(path)
    if header.format == "HEIF":
        return _decode_with_pil(path)  # libheif applies the photo's rotation itself
    if header.format == "PNG":
        _check_png_intact(path)
    image = _decode_with_opencv(path)
    # phones store a portrait photo as landscape pixels with the EXIF Orientation set and every viewer
    # turns it upright, so do we. OpenCV's TIFF decoder turns the pixels itself; its other decoders,
    # asked for the pixels unchanged, do not
    return image if header.format == "TIFF" else upright(image, header.orientation)


def probe_image(path: str | Path) -> ImageHeader:
    """The size a file's header claims (EXR, TIFF, Radiance HDR, or any format PIL knows)."""
    path = Path(path)
    if not path.is_file():
        raise ImageFormatError(f"{path}: no such file")
    with path.open("rb") as stream, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL warns about odd metadata; the decode decides what is readable
        try:
            header = _probe_stream(stream)
        except (OSError, EOFError, ValueError, SyntaxError, IndexError, KeyError, TypeError, RuntimeError, struct.error):
            header = None
    if header is None or header.width <= 0 or header.height <= 0:
        raise ImageFormatError(f"{path}: not a readable image")
    return header


_EXR_MAGIC = b"\x76\x2f\x31\x01"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_RADIANCE_MAGICS = (b"#?RADIANCE", b"#?RGBE")
_RADIANCE_RESOLUTION = re.compile(rb"([-+])([XY]) (\d+) ([-+])([XY]) (\d+)")


def _probe_stream(stream: BinaryIO) -> ImageHeader | None:
    magic = stream.read(16)
    stream.seek(0)
    if magic.startswith(_EXR_MAGIC):
        window_min, window_max = OpenEXR.File(stream, header_only=True).header()["dataWindow"]
        width, height = (int(high) - int(low) + 1 for low, high in zip(window_min, window_max, strict=True))
        return ImageHeader(width, height, "EXR")
    if magic.startswith(_TIFF_MAGICS):  # PIL cannot open 3- and 4-channel float TIFFs, but reads their tags
        ifh = stream.read(16 if b"+" in magic[2:4] else 8)  # BigTIFF: 16 bytes
        directory = TiffImagePlugin.ImageFileDirectory_v2(ifh)
        stream.seek(directory.next)
        directory.load(stream)
        return ImageHeader(int(directory[256]), int(directory[257]), "TIFF", valid_orientation(directory.get(ORIENTATION)))
    if magic.startswith(_RADIANCE_MAGICS):
        return _radiance_header(stream.read(64 * 1024))
    return _pil_header(stream, magic)


def _radiance_header(head: bytes) -> ImageHeader | None:
    """Radiance .hdr: text lines, a blank line, then the resolution line ("-Y 512 +X 768")."""
    _, blank, rest = head.partition(b"\n\n")
    found = _RADIANCE_RESOLUTION.match(rest) if blank else None
    if found is None:
        return None
    first, second = int(found[3]), int(found[6])
    return ImageHeader(second, first, "HDR") if found[2] == b"Y" else ImageHeader(first, second, "HDR")


def _pil_header(stream: BinaryIO, magic: bytes) -> ImageHeader | None:
    """The header through PIL's format plugins, as `Image.open` finds them, without its pixel limit.

    `Image.open` refuses images above PIL's own decompression-bomb limit (about 179 M pixels)
    without saying their size, and a server's --max-pixels may be above that limit.
    """
    for load_plugins in (Image.preinit, Image.init):  # the common formats first: init() imports every plugin
        load_plugins()
        for format_id in Image.ID:
            factory, accept = Image.OPEN[format_id]
            if accept is not None and accept(magic) is not True:
                continue
            stream.seek(0)
            try:
                image = factory(stream, "")
            except (SyntaxError, IndexError, TypeError, struct.error):  # what Image.open takes for "not this format"
                continue
            # the EXIF block the header parse found; never getexif(), which decodes a whole PNG looking for one
            return ImageHeader(image.size[0], image.size[1], format_id,
                               orientation_of_exif_block(image.info.get("exif")))
    return None


def exif_block(path: str | Path) -> bytes | None:
    """The raw EXIF block of a file PIL can open (HEIF included: its EXIF lives in the container,
    where the pure-Python reader of ``protocol/exif.py`` does not look), or None."""
    try:
        with Image.open(path) as image:
            raw = image.info.get("exif")
    except (OSError, ValueError, SyntaxError, RuntimeError, Image.DecompressionBombError):
        return None
    return bytes(raw) if raw else None


def _check_png_intact(path: Path) -> None:
    """Chunk lengths and checksums, checked by PIL first: libpng would print its complaint to stderr."""
    with path.open("rb") as stream:
        try:
            PngImagePlugin.PngImageFile(stream).verify()
        except (OSError, EOFError, ValueError, SyntaxError, struct.error) as exc:
            raise ImageFormatError(f"{path}: not a readable image (truncated or corrupt PNG: {exc})") from None


_OPENCV_SILENT = 0


def _set_opencv_log_level(level: int) -> int:
    """Set OpenCV's log level and return the previous one (`cv2.setLogLevel` in 4.x, `cv2.utils.logging` in 5.x)."""
    opencv: Any = cv2  # the two majors' stubs disagree on where the logging API is
    if hasattr(opencv, "setLogLevel"):
        return int(opencv.setLogLevel(level))
    return _swap_level(opencv.utils.logging, level)


def _swap_level(api: Any, level: int) -> int:
    previous = int(api.getLogLevel())
    api.setLogLevel(level)
    return previous


def _decode_with_opencv(path: Path) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8)  # np.fromfile + imdecode handles non-ASCII paths
    previous = _set_opencv_log_level(_OPENCV_SILENT)  # a failure is our one-line error, not OpenCV's log lines
    try:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        image = None
    finally:
        _set_opencv_log_level(previous)
    if image is None:
        raise ImageFormatError(f"{path}: not a readable image")
    return _to_rgb(image)


def _decode_with_pil(path: Path) -> np.ndarray:
    """Formats OpenCV does not decode (HEIF): 8-bit RGB, or RGBA when the file has alpha."""
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (OSError, ValueError, SyntaxError, RuntimeError, Image.DecompressionBombError):  # libheif's words would not help
        raise ImageFormatError(f"{path}: not a readable image (truncated or corrupt)") from None
    return np.asarray(rgb).copy()


def _read_exr(path: Path) -> np.ndarray:
    """R, G, B (and A) of the first part, or its one channel; HALF stays float16, FLOAT float32."""
    with path.open("rb") as stream:
        try:
            channels = OpenEXR.File(stream, separate_channels=True).channels()
        except (RuntimeError, ValueError):  # OpenEXR's own words ("file has 0 parts") would not help
            raise ImageFormatError(f"{path}: not a readable EXR (truncated or corrupt)") from None
    names = _exr_channel_names(path, sorted(channels))
    planes = [channels[name].pixels for name in names]
    if any(plane.dtype.kind != "f" for plane in planes):
        raise ImageFormatError(f"{path}: EXR channels {names} hold UINT pixels; only HALF and FLOAT channels are read")
    if len({plane.shape for plane in planes}) != 1:
        raise ImageFormatError(f"{path}: EXR channels {names} are subsampled differently; only full-resolution channels are read")
    return np.stack(planes, axis=2)  # HALF with FLOAT channels: float32, which holds both


def _exr_channel_names(path: Path, names: list[str]) -> list[str]:
    """R, G, B[, A] when present (other layers are left out), else a single channel of any name."""
    if {"R", "G", "B"} <= set(names):
        return ["R", "G", "B", "A"] if "A" in names else ["R", "G", "B"]
    if len(names) == 1:
        return names
    raise ImageFormatError(f"{path}: EXR channels {names} are not RGB, RGBA or a single channel")


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image[:, :, None]
    if image.shape[2] == 3:
        return np.ascontiguousarray(image[:, :, ::-1])
    if image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, [2, 1, 0, 3]])
    return image


def _to_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image[:, :, ::-1])
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, [2, 1, 0, 3]])
    if image.ndim == 3 and image.shape[2] == 2:
        raise ImageFormatError("two-channel images cannot be written; use 1, 3 or 4 channels")
    return image


def write_image(path: str | Path, image: np.ndarray) -> None:
    """Write an H x W x C RGB(A) image; the format follows the suffix, the depth the dtype.

    float16 is written as float32 except into EXR; a dtype the format cannot hold raises
    ImageFormatError instead of silently losing precision. The file at `path` is replaced
    only by a complete image (see `atomic_output`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    check_writable(path, image.dtype)
    image = image.astype(_stored_dtype(image.dtype, suffix), copy=False)
    with atomic_output(path) as stream:
        encode_image(stream, image, suffix)


def check_writable(path: str | Path, dtype: np.dtype) -> None:
    """Raise ImageFormatError unless `path`'s format holds `dtype` pixels without loss."""
    path = Path(path)
    suffix = path.suffix.lower()
    allowed = WRITABLE_SUFFIXES.get(suffix)
    if allowed is None:
        raise ImageFormatError(f"{path}: cannot write {suffix or 'files without a suffix'}; use one of {sorted(WRITABLE_SUFFIXES)}")
    dtype = np.dtype(dtype)
    if _stored_dtype(dtype, suffix).type not in allowed:
        hint = "use .tif or .exr for float" if dtype.kind == "f" else "use .png or .tif"
        raise ImageFormatError(f"{path}: {suffix} cannot hold {dtype} pixels; {hint}")


def _stored_dtype(dtype: np.dtype, suffix: str) -> np.dtype:
    """float16 is stored as float32 by the formats without half floats (TIFF)."""
    return np.dtype(np.float32) if dtype == np.float16 and suffix != ".exr" else np.dtype(dtype)


@contextmanager
def atomic_output(path: str | Path) -> Iterator[BinaryIO]:
    """A new file beside `path`, renamed over it when the block completes.

    On any failure (an exception, Ctrl-C) the partial file is removed and `path` is left as it was.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        with partial.open("xb") as stream:  # "x": a fresh file with the usual permissions
            yield stream
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def encode_image(stream: BinaryIO, image: np.ndarray, suffix: str) -> None:
    """Encode `image` (already in a dtype the format holds) into `stream` as a `suffix` file."""
    if suffix == ".exr":
        _encode_exr(stream, image)
        return
    ok, encoded = cv2.imencode(suffix, _to_bgr(image), _ENCODE_PARAMS.get(suffix, []))
    if not ok:
        raise ImageFormatError(f"{suffix} encoding failed")
    stream.write(encoded.data)


_EXR_CHANNEL_NAMES = {1: ("Y",), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}


def _encode_exr(stream: BinaryIO, image: np.ndarray) -> None:
    """Scanline EXR with lossless ZIP compression; float16 as HALF, float32 as FLOAT."""
    names = _EXR_CHANNEL_NAMES.get(image.shape[2] if image.ndim == 3 else 1)
    if names is None:
        raise ImageFormatError(f"{image.shape[2]}-channel images cannot be written; use 1, 3 or 4 channels")
    planes = image.reshape(image.shape[0], image.shape[1], len(names))
    channels = {name: np.ascontiguousarray(planes[:, :, index]) for index, name in enumerate(names)}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, channels).write(stream)
