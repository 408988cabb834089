"""Image files round-trip at full precision; impossible combinations fail loudly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from texforge.server.imageio import ImageFormatError, read_image, write_image


@pytest.mark.parametrize("suffix,dtype,channels", [
    (".png", np.uint8, 3), (".png", np.uint16, 4), (".png", np.uint16, 1), (".tif", np.float32, 3), (".tif", np.uint16, 4),
])
def test_round_trip(tmp_path: Path, rng: np.random.Generator, suffix: str, dtype: type, channels: int) -> None:
    if np.issubdtype(dtype, np.integer):
        image = rng.integers(0, np.iinfo(dtype).max, (9, 7, channels), endpoint=True).astype(dtype)
    else:
        image = (rng.random((9, 7, channels)) * 10).astype(dtype)
    write_image(tmp_path / f"x{suffix}", image)
    np.testing.assert_array_equal(read_image(tmp_path / f"x{suffix}"), image)


def test_rgb_order_is_preserved(tmp_path: Path) -> None:
    image = np.zeros((2, 2, 3), np.uint8)
    image[..., 0] = 255
    write_image(tmp_path / "red.png", image)
    assert read_image(tmp_path / "red.png")[0, 0].tolist() == [255, 0, 0]


def test_float_into_png_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageFormatError, match="tif"):
        write_image(tmp_path / "x.png", np.zeros((2, 2, 3), np.float32))


def test_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_text("hello")
    with pytest.raises(ImageFormatError, match="not a readable image"):
        read_image(tmp_path / "x.png")
