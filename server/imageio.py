"""Read and write images at full precision: 8/16-bit PNG and TIFF, 32-bit float TIFF.

Arrays are H x W x C in RGB(A) order with the file's own dtype (uint8, uint16 or float32).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

READABLE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".webp", ".hdr")
WRITABLE_SUFFIXES = {
    ".png": (np.uint8, np.uint16),
    ".tif": (np.uint8, np.uint16, np.float32),
    ".tiff": (np.uint8, np.uint16, np.float32),
    ".jpg": (np.uint8,),
    ".jpeg": (np.uint8,),
}


_TIFF_LZW = [cv2.IMWRITE_TIFF_COMPRESSION, 5]
_ENCODE_PARAMS = {".tif": _TIFF_LZW, ".tiff": _TIFF_LZW}
"""Explicit lossless compression: some OpenCV builds' default TIFF compression loses float precision."""


class ImageFormatError(ValueError):
    """The file cannot be read or written as an image in the requested form."""


def read_image(path: str | Path) -> np.ndarray:
    """Read an image as H x W x C RGB(A) with its stored bit depth."""
    path = Path(path)
    if not path.is_file():
        raise ImageFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".exr":
        raise ImageFormatError(f"{path}: EXR is not supported by this build; save as 32-bit float TIFF")
    data = np.fromfile(path, dtype=np.uint8)  # np.fromfile + imdecode handles non-ASCII paths
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageFormatError(f"{path}: not a readable image")
    return _to_rgb(image)


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

    float16 is written as float32; a dtype the format cannot hold raises ImageFormatError
    instead of silently losing precision.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if image.dtype == np.float16:
        image = image.astype(np.float32)
    allowed = WRITABLE_SUFFIXES.get(suffix)
    if allowed is None:
        raise ImageFormatError(f"{path}: cannot write {suffix or 'files without a suffix'}; use one of {sorted(WRITABLE_SUFFIXES)}")
    if image.dtype.type not in allowed:
        raise ImageFormatError(f"{path}: {suffix} cannot hold {image.dtype} pixels; use .tif for float")
    ok, encoded = cv2.imencode(suffix, _to_bgr(image), _ENCODE_PARAMS.get(suffix, []))
    if not ok:
        raise ImageFormatError(f"{path}: encoding failed")
    encoded.tofile(path)
