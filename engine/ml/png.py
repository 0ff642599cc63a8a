"""A small PNG decoder (ISO/IEC 15948, the W3C PNG specification) for digit images.

Enough of PNG for pictures a person draws or exports: every color type (gray,
RGB, palette, gray + alpha, RGBA), bit depths 1 to 16, the five row filters, palette
transparency (``tRNS``). Not supported, with a clear message: interlaced (Adam7)
images and images larger than ``MAX_SIDE`` on a side. The input is untrusted: chunk
lengths are checked against the bytes that remain, CRCs are verified, and the
decompressed size is bounded before zlib produces it.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from engine.codec import DecodeError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 256

# Color type -> samples per pixel (PNG specification, table 11.1).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


@dataclass(frozen=True)
class PngImage:
    """A decoded PNG as RGBA in 0..1: ``rgba`` is float64, shape (height, width, 4)."""
    rgba: np.ndarray

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])


def decode_png(data: bytes) -> PngImage:
    """Decode ``data`` (the bytes of a PNG file). Raises ``DecodeError`` if it is not a
    PNG, is damaged, or uses a feature this decoder refuses (see the module doc)."""
    if not data.startswith(SIGNATURE):
        raise DecodeError("not a PNG file (bad signature)")
    header, palette, transparency, compressed = _read_chunks(memoryview(data)[len(SIGNATURE):])
    width, height, depth, color_type = header
    channels = _CHANNELS[color_type]
    row_bytes = (width * channels * depth + 7) // 8
    expected = height * (row_bytes + 1)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, expected + 1)
    except zlib.error as e:
        raise DecodeError(f"PNG image data is damaged ({e})") from None
    if len(raw) != expected:
        raise DecodeError(f"PNG image data holds {len(raw)}{'+' if len(raw) > expected else ''} "
                          f"bytes; {width}x{height} needs {expected}")
    rows = _unfilter(raw, height, row_bytes, max(1, channels * depth // 8))
    samples = _unpack(rows, width, channels, depth)
    return PngImage(_to_rgba(samples, color_type, depth, palette, transparency))


def _read_chunks(rest: memoryview):
    header = None
    palette = transparency = None
    idat: list[bytes] = []
    while True:
        if len(rest) < 12:
            raise DecodeError("PNG file is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", rest[:8])
        if length > len(rest) - 12:
            raise DecodeError(f"PNG chunk {kind!r} claims {length} bytes; the file ends first")
        body = bytes(rest[8:8 + length])
        crc = struct.unpack(">I", rest[8 + length:12 + length])[0]
        if zlib.crc32(kind + body) != crc:
            raise DecodeError(f"PNG chunk {kind.decode('latin-1')!r} fails its CRC check")
        rest = rest[12 + length:]
        if header is None and kind != b"IHDR":
            raise DecodeError("PNG file does not start with an IHDR chunk")
        if kind == b"IHDR":
            header = _read_header(body)
        elif kind == b"PLTE":
            if length % 3 or not 1 <= length // 3 <= 256:
                raise DecodeError("PNG palette (PLTE) has a bad length")
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        elif not kind[0] & 0x20:  # an unknown critical chunk (upper-case first letter)
            raise DecodeError(f"PNG uses the critical chunk {kind.decode('latin-1')!r}, "
                              "which this decoder does not know")
    if header[3] == 3 and palette is None:
        raise DecodeError("PNG palette image has no palette (PLTE)")
    if not idat:
        raise DecodeError("PNG file has no image data (IDAT)")
    return header, palette, transparency, b"".join(idat)


def _read_header(body: bytes) -> tuple[int, int, int, int]:
    if len(body) != 13:
        raise DecodeError("PNG header (IHDR) must be 13 bytes")
    width, height, depth, color_type, compression, filtering, interlace = \
        struct.unpack(">IIBBBBB", body)
    if color_type not in _CHANNELS or depth not in _DEPTHS[color_type]:
        raise DecodeError(f"PNG color type {color_type} with bit depth {depth} is not valid")
    if compression != 0 or filtering != 0:
        raise DecodeError("PNG uses an unknown compression or filter method")
    if interlace != 0:
        raise DecodeError("interlaced PNGs are not supported: save the image without interlacing")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise DecodeError(f"PNG is {width}x{height}; at most {MAX_SIDE}x{MAX_SIDE} is supported")
    return width, height, depth, color_type


def _unfilter(raw: bytes, height: int, row_bytes: int, bpp: int) -> np.ndarray:
    """Undo the per-row filters (specification section 9); returns (height, row_bytes) uint8."""
    out = np.zeros((height, row_bytes), dtype=np.uint8)
    previous = np.zeros(row_bytes, dtype=np.int64)
    stride = row_bytes + 1
    for y in range(height):
        kind = raw[y * stride]
        line = np.frombuffer(raw, np.uint8, row_bytes, y * stride + 1).astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + previous) & 0xFF
        elif kind in (1, 3, 4):
            row = _unfilter_sequential(kind, line.tolist(), previous.tolist(), bpp)
        else:
            raise DecodeError(f"PNG row {y} has unknown filter type {kind}")
        out[y] = row
        previous = np.asarray(row, dtype=np.int64)
    return out


def _unfilter_sequential(kind: int, line: list[int], above: list[int], bpp: int) -> list[int]:
    """Sub (1), Average (3) and Paeth (4): each byte depends on the one to its left."""
    row = [0] * len(line)
    for i, x in enumerate(line):
        a = row[i - bpp] if i >= bpp else 0
        b = above[i]
        if kind == 1:
            row[i] = (x + a) & 0xFF
        elif kind == 3:
            row[i] = (x + ((a + b) >> 1)) & 0xFF
        else:
            c = above[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
            row[i] = (x + predictor) & 0xFF
    return row


def _unpack(rows: np.ndarray, width: int, channels: int, depth: int) -> np.ndarray:
    """Samples as integers, shape (height, width, channels)."""
    height = rows.shape[0]
    if depth == 16:
        values = rows.reshape(height, -1).view(">u2").astype(np.int64)
    elif depth == 8:
        values = rows.astype(np.int64)
    else:
        shifts = np.arange(8 - depth, -1, -depth)
        values = ((rows[:, :, None] >> shifts) & ((1 << depth) - 1)).reshape(height, -1)
        values = values.astype(np.int64)
    return values[:, :width * channels].reshape(height, width, channels)


def _to_rgba(samples: np.ndarray, color_type: int, depth: int, palette, transparency) -> np.ndarray:
    top = float((1 << depth) - 1)
    h, w, _ = samples.shape
    if color_type == 3:
        index = samples[:, :, 0]
        if int(index.max()) >= len(palette):
            raise DecodeError("PNG pixel refers past the end of the palette")
        alpha = np.full(len(palette), 255, np.int64)
        if transparency is not None:
            given = np.frombuffer(transparency[:len(palette)], np.uint8)
            alpha[:len(given)] = given
        rgba = np.concatenate([palette.astype(np.int64), alpha[:, None]], axis=1)[index]
        return rgba / 255.0
    rgba = np.ones((h, w, 4))
    if color_type in (0, 4):
        rgba[:, :, :3] = samples[:, :, :1] / top
    else:
        rgba[:, :, :3] = samples[:, :, :3] / top
    if color_type in (4, 6):
        rgba[:, :, 3] = samples[:, :, -1] / top
    elif transparency is not None:
        rgba[:, :, 3] = _transparent_color_alpha(samples, color_type, transparency)
    return rgba


def _transparent_color_alpha(samples: np.ndarray, color_type: int, trns: bytes) -> np.ndarray:
    """tRNS for gray and RGB images: the one color it names is fully transparent."""
    count = 1 if color_type == 0 else 3
    if len(trns) != 2 * count:
        raise DecodeError("PNG transparency (tRNS) chunk has a bad length")
    key = np.array(struct.unpack(f">{count}H", trns), dtype=np.int64)
    return np.where(np.all(samples[:, :, :count] == key, axis=2), 0.0, 1.0)
