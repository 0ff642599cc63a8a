"""Digit images from raw bytes, .npy arrays and PNGs (engine.ml.image, engine.ml.png)."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from engine.codec import DecodeError
from engine.errors import InputError
from engine.ml.image import image_from_bytes, load_image
from engine.ml.png import decode_png
from tests.conftest import require_module
from tests.ml.png_writer import chunk, write_png

RNG = np.random.default_rng(5)
DIGIT = RNG.integers(0, 17, 64).astype(np.uint8)


def npy(array) -> bytes:
    out = io.BytesIO()
    np.save(out, np.asarray(array), allow_pickle=False)
    return out.getvalue()


# -- raw and .npy


def test_raw_image_is_64_bytes_of_pixels(tmp_path):
    path = tmp_path / "digit.raw"
    path.write_bytes(DIGIT.tobytes())
    out = load_image(path)
    assert out.dtype == np.uint8 and out.shape == (64,)
    np.testing.assert_array_equal(out, DIGIT)


@pytest.mark.parametrize("data, message", [(bytes(63), "63 bytes"), (bytes(65), "65 bytes"),
                                           (b"\x11" + bytes(63), "pixel 0 is 17")])
def test_raw_image_of_the_wrong_size_or_range_is_refused(data, message):
    with pytest.raises(DecodeError, match=message):
        image_from_bytes(data)


@pytest.mark.parametrize("array", [DIGIT, DIGIT.reshape(8, 8), DIGIT.astype(np.int64),
                                   DIGIT.astype(np.float32).reshape(8, 8)])
def test_npy_image_of_64_or_8x8_whole_numbers(array):
    np.testing.assert_array_equal(image_from_bytes(npy(array)), DIGIT)


def test_npy_bool_image_is_zeros_and_ones():
    np.testing.assert_array_equal(image_from_bytes(npy(DIGIT > 8)), (DIGIT > 8).astype(np.uint8))


@pytest.mark.parametrize("array, message", [
    (np.zeros(65), "shape"), (np.zeros((4, 16)), "shape"), (np.full(64, 17), "0..16"),
    (np.full(64, -1), "0..16"), (np.full(64, 0.5), "whole numbers"), (np.full(64, np.nan), "whole"),
    (np.array(["a"] * 64), "dtype")])
def test_npy_images_that_are_not_digits_are_refused(array, message):
    with pytest.raises(DecodeError, match=message):
        image_from_bytes(npy(array))


def test_npy_with_pickled_objects_is_refused_without_unpickling():
    out = io.BytesIO()
    np.save(out, np.array([object()] * 64, dtype=object), allow_pickle=True)
    with pytest.raises(DecodeError, match=".npy"):
        image_from_bytes(out.getvalue())


def test_unknown_content_is_refused_with_what_is_accepted():
    with pytest.raises(DecodeError, match="64 raw bytes, a PNG or a .npy"):
        image_from_bytes(b"hello")


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "nope.png")


# -- PNG: the decoder


@pytest.mark.parametrize("filters", [(0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)])
@pytest.mark.parametrize("color_type, depth", [
    (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (4, 8), (4, 16), (6, 8), (6, 16),
    (3, 1), (3, 2), (3, 4), (3, 8)])
def test_png_decoder_reads_every_color_type_depth_and_filter(color_type, depth, filters):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    height, width = 5, 11                      # odd width: sub-byte rows end mid-byte
    samples = RNG.integers(0, 1 << depth, (height, width, channels))
    palette = RNG.integers(0, 256, (1 << depth, 3)) if color_type == 3 else None
    png = write_png(samples, color_type, depth, filters, palette=palette)
    rgba = decode_png(png).rgba
    top = (1 << depth) - 1
    if color_type == 3:
        expected_rgb = palette[samples[:, :, 0]] / 255
    elif color_type in (0, 4):
        expected_rgb = np.repeat(samples[:, :, :1] / top, 3, axis=2)
    else:
        expected_rgb = samples[:, :, :3] / top
    np.testing.assert_allclose(rgba[:, :, :3], expected_rgb)
    expected_alpha = samples[:, :, -1] / top if color_type in (4, 6) else 1.0
    np.testing.assert_allclose(rgba[:, :, 3], expected_alpha)


def test_png_palette_transparency_applies_to_the_first_entries():
    palette = np.array([[0, 0, 0], [255, 255, 255], [10, 20, 30]])
    samples = np.array([[0, 1, 2, 1]])
    rgba = decode_png(write_png(samples, 3, 8, palette=palette, trns=b"\x00\x80")).rgba
    np.testing.assert_allclose(rgba[0, :, 3], [0, 128 / 255, 1, 128 / 255])


def test_png_gray_transparency_makes_one_value_transparent():
    samples = np.array([[0, 7, 255]])
    rgba = decode_png(write_png(samples, 0, 8, trns=struct.pack(">H", 7))).rgba
    np.testing.assert_allclose(rgba[0, :, 3], [1, 0, 1])


def test_png_ancillary_chunks_are_skipped():
    png = write_png(np.zeros((8, 8)), 0, 8, extra_chunks=(chunk(b"tEXt", b"Comment\x00hi"),))
    assert decode_png(png).rgba.shape == (8, 8, 4)


def _damaged(png: bytes, offset: int) -> bytes:
    data = bytearray(png)
    data[offset] ^= 0x01
    return bytes(data)


GOOD = write_png(np.zeros((8, 8)), 0, 8)


@pytest.mark.parametrize("png, message", [
    (b"\x89PNG\r\n\x1a\x0a", "truncated"),
    (GOOD[:40], "truncated|claims"),
    (GOOD[:-12], "truncated"),
    (_damaged(GOOD, 20), "CRC"),
    (write_png(np.zeros((8, 8)), 0, 8, interlace=1), "interlaced"),
    (write_png(np.zeros((8, 8)), 0, 8, extra_chunks=(chunk(b"ABCD", b""),)), "critical chunk"),
    (write_png(np.zeros((1, 300)), 0, 8), "at most 256x256"),
    (b"\x89PNG\r\n\x1a\n" + chunk(b"IEND", b""), "IHDR"),
])
def test_png_decoder_refuses_damaged_or_unsupported_files(png, message):
    with pytest.raises(DecodeError, match=message):
        decode_png(png)


def test_png_with_too_much_image_data_is_refused_without_inflating_it_all():
    import zlib
    bomb = zlib.compress(bytes(10_000_000))               # 10 MB from ~10 KB
    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", bomb) +
           chunk(b"IEND", b""))
    with pytest.raises(DecodeError, match="needs 72"):
        decode_png(png)


def test_png_with_an_unknown_filter_type_is_refused():
    import zlib
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x05\x00")) +
           chunk(b"IEND", b""))
    with pytest.raises(DecodeError, match="filter type 5"):
        decode_png(png)


# -- PNG: from a picture to 8x8 pixels 0..16


def test_8x8_gray_png_scales_brightness_to_0_16():
    values = np.arange(64).reshape(8, 8) * 4
    out = image_from_bytes(write_png(values, 0, 8), ink="light")
    np.testing.assert_array_equal(out, np.floor(values.reshape(-1) * 16 / 255 + 0.5))


def test_32x32_black_and_white_drawing_counts_ink_per_4x4_block_like_the_data_set():
    """The UCI digits were made this way: 32x32 bitmaps, ink pixels counted per block."""
    bitmap = RNG.random((32, 32)) < 0.4
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3)).reshape(-1)
    light_ink = write_png(bitmap.astype(np.uint8) * 255, 0, 8)
    dark_ink = write_png(np.where(bitmap, 0, 255), 0, 8)
    np.testing.assert_array_equal(image_from_bytes(light_ink, ink="light"), counts)
    np.testing.assert_array_equal(image_from_bytes(dark_ink, ink="dark"), counts)
    one_bit = write_png(bitmap.astype(np.uint8), 0, 1)
    np.testing.assert_array_equal(image_from_bytes(one_bit, ink="light"), counts)


def test_auto_ink_reads_dark_strokes_on_white_paper():
    paper = np.full((32, 32), 255)
    paper[4:28, 14:18] = 0                                  # a "1"
    out = image_from_bytes(write_png(paper, 0, 8)).reshape(8, 8)
    assert out[1:7, 3:5].min() > 0 and out[:, :3].max() == 0
    np.testing.assert_array_equal(out, image_from_bytes(write_png(255 - paper, 0, 8)).reshape(8, 8))


def test_transparent_pixels_are_background_whatever_their_color():
    rgba = np.zeros((8, 8, 4), np.int64)
    rgba[:, :, :3] = 255                                    # white, but mostly transparent
    rgba[2, 3, 3] = 255                                     # one opaque black pixel
    rgba[2, 3, :3] = 0
    out = image_from_bytes(write_png(rgba, 6, 8), ink="dark").reshape(8, 8)
    assert out[2, 3] == 16 and out.sum() == 16


def test_png_sides_must_be_multiples_of_8():
    with pytest.raises(DecodeError, match="multiple of 8"):
        image_from_bytes(write_png(np.zeros((12, 12)), 0, 8))


def test_png_written_by_qt_decodes_to_the_same_pixels(qt_png):
    """An independent encoder (Qt's libpng, with its own filter choices and formats)."""
    from engine.ml.image import image_from_png
    rng = np.random.default_rng(9)
    for fmt in ("Grayscale8", "Grayscale16", "RGB888", "RGBA8888", "Indexed8", "Mono"):
        gray = rng.integers(0, 256, (32, 32))
        if fmt == "Mono":
            gray = np.where(gray > 127, 255, 0)
        png, decoded_gray = qt_png(gray, fmt)
        assert png.startswith(b"\x89PNG")
        np.testing.assert_allclose(decode_png(png).rgba[:, :, 0] * 255, decoded_gray, atol=0.51)
        expected = np.floor(decoded_gray.reshape(8, 4, 8, 4).mean(axis=(1, 3)) / 255 * 16 + 0.5 + 1e-9)
        np.testing.assert_array_equal(image_from_png(png, ink="light"),
                                      expected.reshape(-1).astype(np.uint8))


@pytest.fixture
def qt_png():
    qtgui = require_module("PySide6.QtGui")
    qtcore = require_module("PySide6.QtCore")

    def make(gray: np.ndarray, fmt: str):
        rgba = np.repeat(gray[:, :, None], 4, axis=2).astype(np.uint8)
        rgba[:, :, 3] = 255
        h, w = gray.shape
        image = qtgui.QImage(rgba.tobytes(), w, h, 4 * w, qtgui.QImage.Format.Format_RGBA8888).copy()
        if fmt != "RGBA8888":
            image = image.convertToFormat(getattr(qtgui.QImage.Format, f"Format_{fmt}"))
        data = qtcore.QByteArray()
        buffer = qtcore.QBuffer(data)
        buffer.open(qtcore.QIODevice.OpenModeFlag.WriteOnly)
        assert image.save(buffer, "PNG")
        # What Qt stored (Indexed8 and Mono quantize): the red channel, read back by Qt.
        stored = image.convertToFormat(qtgui.QImage.Format.Format_RGBA8888)
        pixels = np.frombuffer(bytes(stored.constBits()), np.uint8)
        pixels = pixels.reshape(h, stored.bytesPerLine())[:, :4 * w].reshape(h, w, 4)
        return bytes(data.data()), pixels[:, :, 0].astype(np.int64)

    return make
