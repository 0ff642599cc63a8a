"""A deliberately plain PNG writer for the decoder's tests: every color type and bit
depth, a chosen filter per row, optional palette and tRNS chunks."""
from __future__ import annotations

import struct
import zlib

import numpy as np

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write_png(samples: np.ndarray, color_type: int, depth: int = 8, filters=(0,),
              palette: np.ndarray | None = None, trns: bytes | None = None,
              interlace: int = 0, extra_chunks: tuple[bytes, ...] = ()) -> bytes:
    """``samples``: integers, shape (height, width, channels) (or (height, width))."""
    samples = np.asarray(samples)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    height, width, channels = samples.shape
    assert channels == CHANNELS[color_type]
    rows = [_pack_row(samples[y].reshape(-1), depth) for y in range(height)]
    bpp = max(1, channels * depth // 8)
    raw = bytearray()
    previous = bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = filters[y % len(filters)]
        raw.append(kind)
        raw += _filter(kind, row, previous, bpp)
        previous = row
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth,
                                                           color_type, 0, 0, interlace))
    for extra in extra_chunks:
        out += extra
    if palette is not None:
        out += chunk(b"PLTE", np.asarray(palette, np.uint8).tobytes())
    if trns is not None:
        out += chunk(b"tRNS", trns)
    data = zlib.compress(bytes(raw))
    # Two IDAT chunks: the decoder must join them.
    out += chunk(b"IDAT", data[:len(data) // 2]) + chunk(b"IDAT", data[len(data) // 2:])
    return out + chunk(b"IEND", b"")


def _pack_row(values: np.ndarray, depth: int) -> bytes:
    if depth == 16:
        return values.astype(">u2").tobytes()
    if depth == 8:
        return values.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    out = bytearray((len(values) + per_byte - 1) // per_byte)
    for i, v in enumerate(values):
        out[i // per_byte] |= int(v) << (8 - depth * (i % per_byte + 1))
    return bytes(out)


def _filter(kind: int, row: bytes, above: bytes, bpp: int) -> bytes:
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = above[i]
        c = above[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out[i] = (x - pred) & 0xFF
    return bytes(out)
