"""Digit images from files: 64 raw bytes, a PNG, or a NumPy ``.npy`` array.

Every loader returns the guests' image: uint8, shape (64,), row-major, pixels 0..16
where 0 is background and 16 is full ink (the convention of the digits data set).

- **Raw**: exactly 64 bytes, each 0..16.
- **.npy**: an integer (or integral float / bool) array of shape (64,) or (8, 8) with
  values 0..16; read with ``allow_pickle=False``.
- **PNG**: any size whose sides are multiples of 8, up to 256x256. Each of the 8x8
  cells becomes ``round(16 * mean ink)`` over its block of pixels: a 32x32
  black-and-white drawing becomes the count of ink pixels per 4x4 block, which is
  exactly how the data set was made from its 32x32 bitmaps. Ink is luminance
  (Rec. 601) times alpha, so transparent pixels are background. ``ink="light"``
  reads light strokes on a dark background, ``ink="dark"`` dark strokes on a light
  one, and ``"auto"`` (the default) picks "dark" when the opaque part of the picture
  is mostly light.
"""
from __future__ import annotations

import io
import os

import numpy as np

from engine.codec import DecodeError
from engine.fileio import read_bounded
from engine.ml.interface import IMAGE_BYTES, IMAGE_SIDE, PIXEL_MAX
from engine.ml.png import SIGNATURE as PNG_SIGNATURE
from engine.ml.png import decode_png

NPY_MAGIC = b"\x93NUMPY"
MAX_IMAGE_FILE_BYTES = 4 << 20
INK_MODES = ("auto", "light", "dark")


def load_image(path: str | os.PathLike, ink: str = "auto") -> np.ndarray:
    """Read the image file at ``path`` (raw, PNG or .npy, told apart by content).

    Raises ``InputError`` if the file cannot be read and ``DecodeError`` if it is not
    a usable image (the message says which rule it breaks).
    """
    data = read_bounded(path, MAX_IMAGE_FILE_BYTES, "digit image")
    return image_from_bytes(data, ink)


def image_from_bytes(data: bytes, ink: str = "auto") -> np.ndarray:
    """The image in ``data``, the contents of a raw, PNG or .npy file."""
    if ink not in INK_MODES:
        raise ValueError(f"ink must be one of {INK_MODES}, not {ink!r}")
    if data.startswith(PNG_SIGNATURE):
        return image_from_png(data, ink)
    if data.startswith(NPY_MAGIC):
        return image_from_npy(data)
    if len(data) == IMAGE_BYTES:
        return image_from_raw(data)
    raise DecodeError(f"not an image: expected {IMAGE_BYTES} raw bytes, a PNG or a .npy file "
                      f"(got {len(data)} bytes of something else)")


def image_from_raw(data: bytes) -> np.ndarray:
    """64 bytes, each 0..16."""
    if len(data) != IMAGE_BYTES:
        raise DecodeError(f"a raw image is {IMAGE_BYTES} bytes, not {len(data)}")
    return _checked(np.frombuffer(data, dtype=np.uint8), "raw image")


def image_from_npy(data: bytes) -> np.ndarray:
    """A .npy array of shape (64,) or (8, 8) holding integers 0..16."""
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DecodeError(f"not a readable .npy array ({e})") from None
    if array.shape not in ((IMAGE_BYTES,), (IMAGE_SIDE, IMAGE_SIDE)):
        raise DecodeError(f".npy image has shape {array.shape}; expected (64,) or (8, 8)")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise DecodeError(".npy image holds values that are not whole numbers")
    elif array.dtype.kind not in "biu":
        raise DecodeError(f".npy image has dtype {array.dtype}; expected integers")
    if array.size and (array.min() < 0 or array.max() > PIXEL_MAX):
        raise DecodeError(f".npy image pixels must be 0..{PIXEL_MAX} "
                          f"(found {array.min()}..{array.max()})")
    return array.astype(np.uint8).reshape(IMAGE_BYTES)


def image_from_png(data: bytes, ink: str = "auto") -> np.ndarray:
    """A PNG whose sides are multiples of 8, averaged down to 8x8 (see the module doc)."""
    rgba = decode_png(data).rgba
    height, width = rgba.shape[:2]
    if height % IMAGE_SIDE or width % IMAGE_SIDE:
        raise DecodeError(f"PNG is {width}x{height}; each side must be a multiple of 8 "
                          "(8x8, 16x16, 32x32, ...)")
    luminance = rgba[:, :, :3] @ np.array([0.299, 0.587, 0.114])
    alpha = rgba[:, :, 3]
    if ink == "auto":
        opaque = alpha.sum()
        ink = "dark" if opaque > 0 and (luminance * alpha).sum() / opaque > 0.5 else "light"
    strength = luminance if ink == "light" else 1.0 - luminance
    amount = strength * alpha
    cells = amount.reshape(IMAGE_SIDE, height // IMAGE_SIDE, IMAGE_SIDE, width // IMAGE_SIDE)
    mean = cells.mean(axis=(1, 3))
    pixels = np.floor(mean * PIXEL_MAX + 0.5 + 1e-9).astype(np.int64)
    return np.clip(pixels, 0, PIXEL_MAX).astype(np.uint8).reshape(IMAGE_BYTES)


def _checked(pixels: np.ndarray, what: str) -> np.ndarray:
    if int(pixels.max()) > PIXEL_MAX:
        index = int(np.argmax(pixels > PIXEL_MAX))
        raise DecodeError(f"{what}: pixel {index} is {int(pixels[index])}; pixels are "
                          f"0..{PIXEL_MAX} (is this an 8-bit grayscale dump? save it as PNG)")
    return pixels.astype(np.uint8).copy()
