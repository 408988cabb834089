"""The field of view a photo's EXIF records: the 35 mm-equivalent focal length, horizontally."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from texforge.server.photo_exif import EXIF_IFD, FOCAL_LENGTH_IN_35MM, exif_fov_degrees, fov_from_35mm_focal_length


def test_a_35mm_equivalent_focal_length_gives_the_horizontal_field_of_view() -> None:
    # on a 3:2 frame the 35 mm equivalent is the real focal length of a 36 mm wide frame
    assert fov_from_35mm_focal_length(36, 3000, 2000) == pytest.approx(math.degrees(2 * math.atan(18 / 36)))
    # a 4:3 phone photo at 26 mm equivalent, the usual main camera: about 67 degrees across
    assert fov_from_35mm_focal_length(26, 4032, 3024) == pytest.approx(67.3, abs=0.1)
    # the same lens across a portrait frame is narrower
    assert fov_from_35mm_focal_length(26, 3024, 4032) < fov_from_35mm_focal_length(26, 4032, 3024)


def _photo(path: Path, focal: float | None) -> Path:
    exif = Image.Exif()
    if focal is not None:
        exif.get_ifd(EXIF_IFD)[FOCAL_LENGTH_IN_35MM] = focal
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(path, exif=exif.tobytes())
    return path


def test_the_tag_is_read_from_jpeg_and_png(tmp_path: Path) -> None:
    for suffix in (".jpg", ".png"):
        assert exif_fov_degrees(_photo(tmp_path / f"a{suffix}", 26)) == pytest.approx(
            fov_from_35mm_focal_length(26, 40, 30))


def test_no_tag_no_image_or_an_implausible_lens_give_none(tmp_path: Path) -> None:
    assert exif_fov_degrees(_photo(tmp_path / "plain.jpg", None)) is None
    assert exif_fov_degrees(_photo(tmp_path / "fisheye.jpg", 2)) is None  # outside the request's bounds
    (tmp_path / "text.jpg").write_text("not an image")
    assert exif_fov_degrees(tmp_path / "text.jpg") is None
    assert exif_fov_degrees(tmp_path / "missing.jpg") is None
