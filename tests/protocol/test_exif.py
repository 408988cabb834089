"""What a photo's EXIF records, read from JPEG and PNG bytes without an imaging library: the
field of view (the 35 mm-equivalent focal length, horizontally) and the orientation, which turns
the pixels as every viewer does."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from texforge.protocol.exif import (
    EXIF_IFD_POINTER,
    FOCAL_LENGTH_IN_35MM,
    ORIENTATION,
    fov_from_35mm_focal_length,
    recorded_fov_degrees,
    recorded_orientation,
    upright,
)


def test_a_35mm_equivalent_focal_length_gives_the_horizontal_field_of_view() -> None:
    # on a 3:2 frame the 35 mm equivalent is the real focal length of a 36 mm wide frame
    assert fov_from_35mm_focal_length(36, 3000, 2000) == pytest.approx(math.degrees(2 * math.atan(18 / 36)))
    # a 4:3 phone photo at 26 mm equivalent, the usual main camera: about 67 degrees across
    assert fov_from_35mm_focal_length(26, 4032, 3024) == pytest.approx(67.3, abs=0.1)
    # the same lens across a portrait frame is narrower
    assert fov_from_35mm_focal_length(26, 3024, 4032) < fov_from_35mm_focal_length(26, 4032, 3024)


def pil_photo(path: Path, focal: float | None) -> Path:
    """A 40 x 30 photo as PIL writes it, with ``focal`` as its 35 mm-equivalent focal length."""
    exif = Image.Exif()
    if focal is not None:
        exif.get_ifd(EXIF_IFD_POINTER)[FOCAL_LENGTH_IN_35MM] = focal
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(path, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_the_tag_is_read_as_pil_writes_it(tmp_path: Path, suffix: str) -> None:
    path = pil_photo(tmp_path / f"a{suffix}", 26)
    assert recorded_fov_degrees(path, 40, 30) == pytest.approx(fov_from_35mm_focal_length(26, 40, 30))


def big_endian_jpeg_with_rational_focal_length(path: Path, numerator: int, denominator: int) -> Path:
    """A JPEG head whose EXIF is Motorola byte order and stores the focal length as a RATIONAL."""
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", EXIF_IFD_POINTER, 4, 1, 26) + struct.pack(">I", 0)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHII", FOCAL_LENGTH_IN_35MM, 5, 1, 44) + struct.pack(">I", 0)
    tiff = b"MM" + struct.pack(">HI", 42, 8) + ifd0 + exif_ifd + struct.pack(">II", numerator, denominator)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff)) + b"Exif\x00\x00" + tiff
    path.write_bytes(b"\xff\xd8" + app0 + app1 + b"\xff\xda\x00\x02" + bytes(16))
    return path


def test_motorola_byte_order_and_rational_values_are_read(tmp_path: Path) -> None:
    path = big_endian_jpeg_with_rational_focal_length(tmp_path / "mm.jpg", 52, 2)
    assert recorded_fov_degrees(path, 4000, 3000) == pytest.approx(fov_from_35mm_focal_length(26, 4000, 3000))


def test_no_tag_no_image_or_an_implausible_lens_give_none(tmp_path: Path) -> None:
    assert recorded_fov_degrees(pil_photo(tmp_path / "plain.jpg", None), 40, 30) is None
    assert recorded_fov_degrees(pil_photo(tmp_path / "plain.png", None), 40, 30) is None
    assert recorded_fov_degrees(pil_photo(tmp_path / "fisheye.jpg", 2), 40, 30) is None  # outside the request's bounds
    assert recorded_fov_degrees(big_endian_jpeg_with_rational_focal_length(tmp_path / "zero.jpg", 1, 0), 40, 30) is None
    (tmp_path / "text.jpg").write_text("not an image")
    assert recorded_fov_degrees(tmp_path / "text.jpg", 40, 30) is None
    assert recorded_fov_degrees(tmp_path / "missing.jpg", 40, 30) is None
    # cut off inside its EXIF block: nothing, and no exception
    whole = pil_photo(tmp_path / "whole.jpg", 26).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[:40])
    assert recorded_fov_degrees(tmp_path / "cut.jpg", 40, 30) is None


def oriented_photo(path: Path, orientation: int) -> tuple[Path, np.ndarray]:
    """A 5 x 3 photo of distinct pixels, stored with EXIF ``orientation``, and those stored pixels."""
    pixels = np.arange(5 * 3 * 3, dtype=np.uint8).reshape(3, 5, 3) * 5
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    Image.fromarray(pixels).save(path, exif=exif.tobytes())
    return path, pixels


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_orientation_turns_the_pixels_as_every_viewer_does(tmp_path: Path, orientation: int) -> None:
    path, stored = oriented_photo(tmp_path / f"o{orientation}.png", orientation)  # PNG: lossless
    assert recorded_orientation(path) == orientation
    with Image.open(path) as image:
        seen = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(upright(stored, orientation), seen)


def test_the_orientation_of_a_jpeg_is_read_and_a_missing_or_broken_one_is_as_stored(tmp_path: Path) -> None:
    assert recorded_orientation(oriented_photo(tmp_path / "o6.jpg", 6)[0]) == 6
    assert recorded_orientation(pil_photo(tmp_path / "plain.jpg", 26)) == 1
    assert recorded_orientation(oriented_photo(tmp_path / "o9.png", 9)[0]) == 1  # no such orientation
    (tmp_path / "text.jpg").write_text("not an image")
    assert recorded_orientation(tmp_path / "text.jpg") == 1
    assert recorded_orientation(tmp_path / "missing.png") == 1
    whole = oriented_photo(tmp_path / "whole.jpg", 6)[0].read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[:30])
    assert recorded_orientation(tmp_path / "cut.jpg") == 1
