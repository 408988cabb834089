"""Image files round-trip at full precision; impossible combinations fail loudly."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from texforge.protocol.limits import Limits
from texforge.server.imageio import ImageFormatError, probe_image, read_image, write_image


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


# --- EXR --------------------------------------------------------------------------------


def write_exr_channels(path: Path, channels: dict[str, np.ndarray]) -> None:
    """An EXR with exactly these channels, written by OpenEXR itself."""
    import OpenEXR

    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, channels).write(str(path))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_exr_round_trip_keeps_dtype_channels_and_values_outside_0_1(tmp_path: Path, rng: np.random.Generator,
                                                                   dtype: type, channels: int) -> None:
    image = (rng.random((9, 7, channels)) * 20 - 5).astype(dtype)  # -5 .. 15: HDR and negative values
    write_image(tmp_path / "x.exr", image)
    back = read_image(tmp_path / "x.exr")
    assert back.dtype == dtype and back.shape == image.shape
    np.testing.assert_array_equal(back, image)


def test_exr_is_written_with_lossless_zip_and_standard_channel_names(tmp_path: Path) -> None:
    import OpenEXR

    write_image(tmp_path / "rgba.exr", np.zeros((4, 5, 4), np.float32))
    write_image(tmp_path / "y.exr", np.zeros((4, 5, 1), np.float16))
    rgba = OpenEXR.File(str(tmp_path / "rgba.exr"), separate_channels=True)
    assert rgba.header()["compression"] == OpenEXR.ZIP_COMPRESSION
    assert sorted(rgba.channels()) == ["A", "B", "G", "R"]
    assert {channel.type() for channel in rgba.channels().values()} == {OpenEXR.FLOAT}
    y = OpenEXR.File(str(tmp_path / "y.exr"), separate_channels=True).channels()
    assert list(y) == ["Y"] and y["Y"].type() == OpenEXR.HALF


def test_exr_channels_are_read_in_rgba_order_whatever_else_the_file_holds(tmp_path: Path) -> None:
    plane = np.ones((3, 4), np.float32)
    write_exr_channels(tmp_path / "x.exr", {"R": plane * 1, "G": plane * 2, "B": plane * 3, "A": plane * 4, "Z": plane * 9})
    assert read_image(tmp_path / "x.exr")[0, 0].tolist() == [1, 2, 3, 4]
    write_exr_channels(tmp_path / "depth.exr", {"depth": plane * 7})  # one channel, of any name
    assert read_image(tmp_path / "depth.exr").shape == (3, 4, 1)
    write_exr_channels(tmp_path / "mixed.exr", {"R": plane, "G": plane.astype(np.float16), "B": plane})
    assert read_image(tmp_path / "mixed.exr").dtype == np.float32  # HALF with FLOAT: float32 holds both


def test_exr_layouts_that_are_not_images_are_refused_clearly(tmp_path: Path) -> None:
    plane = np.ones((3, 4), np.float32)
    write_exr_channels(tmp_path / "ya.exr", {"Y": plane, "A": plane})
    with pytest.raises(ImageFormatError, match="not RGB, RGBA or a single channel"):
        read_image(tmp_path / "ya.exr")
    write_exr_channels(tmp_path / "ids.exr", {"id": np.ones((3, 4), np.uint32)})
    with pytest.raises(ImageFormatError, match="UINT"):
        read_image(tmp_path / "ids.exr")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_pixels_into_exr_are_refused_in_one_line(tmp_path: Path, dtype: type) -> None:
    with pytest.raises(ImageFormatError, match=r"use \.png or \.tif") as refused:
        write_image(tmp_path / "x.exr", np.zeros((2, 2, 3), dtype))
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "x.exr").exists()


# --- headers: size checked before decoding ----------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height (8-bit RGB) and holds almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_header_claiming_too_many_pixels_is_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    (tmp_path / "huge.png").write_bytes(png_header_only(100_000, 100_000))
    monkeypatch.setattr(cv2, "imdecode", lambda *args: pytest.fail("decoded a file its header should have refused"))
    started = time.perf_counter()
    with pytest.raises(ImageFormatError) as refused:
        read_image(tmp_path / "huge.png")
    seconds = time.perf_counter() - started
    message = str(refused.value)
    assert "100000x100000" in message and f"pixel limit of {Limits().max_pixels:,}" in message and "\n" not in message
    assert seconds < 0.05, f"refusing a header took {seconds:.3f} s"


def test_max_pixels_is_the_limit_read_image_checks(tmp_path: Path) -> None:
    write_image(tmp_path / "x.png", np.zeros((10, 10, 3), np.uint8))
    assert read_image(tmp_path / "x.png", max_pixels=100).shape == (10, 10, 3)
    with pytest.raises(ImageFormatError, match="10x10 is 100 pixels, above the pixel limit of 99"):
        read_image(tmp_path / "x.png", max_pixels=99)


def test_exr_size_comes_from_its_data_window(tmp_path: Path) -> None:
    write_image(tmp_path / "x.exr", np.zeros((6, 5, 3), np.float16))
    assert (probe_image(tmp_path / "x.exr").width, probe_image(tmp_path / "x.exr").height) == (5, 6)
    data = bytearray((tmp_path / "x.exr").read_bytes())
    window = data.index(b"dataWindow\0box2i\0") + len(b"dataWindow\0box2i\0") + 4  # after the attribute's size
    data[window + 8:window + 16] = struct.pack("<ii", 99_999, 99_999)  # xMax, yMax
    (tmp_path / "huge.exr").write_bytes(bytes(data))
    with pytest.raises(ImageFormatError, match="100000x100000 is 10,000,000,000 pixels"):
        read_image(tmp_path / "huge.exr")


@pytest.mark.parametrize("suffix,dtype,channels", [(".tif", np.float32, 3), (".tif", np.float32, 4), (".png", np.uint16, 4),
                                                   (".jpg", np.uint8, 3)])
def test_probe_reads_the_size_of_every_written_format(tmp_path: Path, suffix: str, dtype: type, channels: int) -> None:
    write_image(tmp_path / f"x{suffix}", np.zeros((6, 5, channels), dtype))  # PIL alone cannot open float RGB TIFFs
    header = probe_image(tmp_path / f"x{suffix}")
    assert (header.width, header.height) == (5, 6)


def test_a_truncated_png_is_one_clear_error(tmp_path: Path, rng: np.random.Generator) -> None:
    write_image(tmp_path / "whole.png", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8, endpoint=True))
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageFormatError, match="truncated or corrupt PNG") as refused:
        read_image(tmp_path / "cut.png")
    assert "\n" not in str(refused.value)


# --- outputs are replaced only by complete files ----------------------------------------


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_partial_file(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from texforge.server import imageio

    target = tmp_path / "out.png"
    write_image(target, np.full((4, 4, 3), 7, np.uint8))
    before = target.read_bytes()

    def disk_full(stream, image, suffix):
        stream.write(b"\x89PNG half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imageio, "encode_image", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_image(target, np.zeros((8, 8, 3), np.uint8))
    assert target.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [target]


def test_an_interrupted_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from texforge.server import imageio

    def interrupted(stream, image, suffix):
        stream.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(imageio, "encode_image", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_image(tmp_path / "new.exr", np.zeros((2, 2, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_a_complete_write_replaces_the_file_with_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.tif"
    target.write_bytes(b"old")
    write_image(target, np.ones((3, 3, 3), np.float32))
    np.testing.assert_array_equal(read_image(target), np.ones((3, 3, 3), np.float32))
    (tmp_path / "plain").write_bytes(b"")
    assert target.stat().st_mode == (tmp_path / "plain").stat().st_mode  # not a temp file's 0600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.tif", "plain"]


def test_a_truncated_exr_is_one_clear_error(tmp_path: Path, rng: np.random.Generator) -> None:
    write_image(tmp_path / "whole.exr", rng.random((64, 64, 3)).astype(np.float32))
    data = (tmp_path / "whole.exr").read_bytes()
    (tmp_path / "cut.exr").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageFormatError, match=r"cut\.exr: not a readable EXR \(truncated or corrupt\)$"):
        read_image(tmp_path / "cut.exr")


def _quadrants(width: int = 48, height: int = 32) -> np.ndarray:
    """Four flat colours, so every turn and mirror of the image is a different picture."""
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2, : width // 2] = (250, 10, 10)
    image[: height // 2, width // 2 :] = (10, 250, 10)
    image[height // 2 :, : width // 2] = (10, 10, 250)
    image[height // 2 :, width // 2 :] = (240, 240, 20)
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("suffix", [".jpg", ".tif", ".png", ".webp"])
def test_phone_photos_are_read_upright_as_their_orientation_tag_says(tmp_path: Path, orientation: int,
                                                                     suffix: str) -> None:
    from PIL import Image, ImageOps
    path = tmp_path / f"photo{suffix}"
    stored = Image.fromarray(_quadrants())
    if suffix == ".tif":
        stored.save(path, tiffinfo={0x0112: orientation})
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored.save(path, quality=98, exif=exif)
    seen_by_viewers = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    image = read_image(path)
    assert image.shape == seen_by_viewers.shape
    assert np.abs(image.astype(int) - seen_by_viewers.astype(int)).max() <= 8  # two JPEG decoders
    assert probe_image(path).orientation == orientation


def test_a_broken_orientation_tag_leaves_the_pixels_as_stored(tmp_path: Path) -> None:
    from PIL import Image
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 42
    Image.fromarray(_quadrants()).save(path, quality=98, exif=exif)
    assert read_image(path).shape == (32, 48, 3)


@pytest.mark.parametrize("channels", [3, 4])
def test_iphone_heic_photos_are_read(tmp_path: Path, channels: int) -> None:
    from PIL import Image
    y, x = np.mgrid[0:64, 0:96]
    image = np.stack([x * 2, y * 3, 255 - x * 2, np.full_like(x, 200)][:channels], axis=2).astype(np.uint8)
    path = tmp_path / "IMG_0001.HEIC"
    Image.fromarray(image).save(path, format="HEIF", quality=95)
    read = read_image(path)
    assert read.shape == image.shape and read.dtype == np.uint8
    assert float(np.abs(read.astype(float) - image).mean()) < 3.0  # lossy, but the same picture
    assert probe_image(path).format == "HEIF"


def test_a_truncated_heic_is_one_clear_error(tmp_path: Path) -> None:
    from PIL import Image
    path = tmp_path / "cut.heic"
    Image.fromarray(_quadrants()).save(path, format="HEIF")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageFormatError, match="cut.heic"):
        read_image(path)
