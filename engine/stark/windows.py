"""Row-padded windows: the columns a generated kernel reads, copied so that their rows
no longer lie a power of two apart.

A trace or an LDE is a ``(n_columns, N)`` matrix, N a power of two, so the values of one
point sit ``4·N`` bytes apart in every column. The generated kernels
(:mod:`engine.stark.codegen`) read one value of every column per point, so with
hundreds of columns they keep hundreds of cache lines live that all map to the same
few cache sets: measured on 250 columns, a row-wise read of 2^22-point rows was 7x
slower than the same read with padded rows, and the constraint kernel 2x slower per
point at 2^22 than at 2^20 points. Copying a block of columns into a buffer whose rows
are padded by one cache line costs about what the kernel's own reads did, and the
kernel then reads it from cache.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["PAD", "WINDOW_POINTS", "padded_window", "window_buffer"]

#: Points per window: a block of work for a kernel call (one progress report each).
WINDOW_POINTS = 1 << 15
#: Elements (one 64-byte cache line) added to every window row.
PAD = 16


def window_buffer(n_columns: int, count: int) -> np.ndarray:
    """A flat uint32 buffer for windows of up to ``count`` points of ``n_columns``."""
    return np.empty(n_columns * (count + PAD), dtype=np.uint32)


def padded_window(matrix: np.ndarray, start: int, count: int,
                  buffer: np.ndarray) -> np.ndarray:
    """Points ``start .. start + count − 1`` (mod N) of every row of ``matrix``
    (``(m, N)`` uint32) as the first ``count`` entries of each row of a C-contiguous
    ``(m, count + PAD)`` view of ``buffer`` (from :func:`window_buffer`)."""
    m = matrix.shape[0]
    window = buffer[:m * (count + PAD)].reshape(m, count + PAD)
    _copy_window(matrix, start, count, window)
    return window


@njit(nogil=True, cache=True, parallel=True)
def _copy_window(matrix, start, count, window):
    n = matrix.shape[1]
    first = min(count, n - start)
    for c in prange(matrix.shape[0]):
        window[c, :first] = matrix[c, start:start + first]
        done = first
        while done < count:         # wrap around (the next rows of the last points)
            take = min(count - done, n)
            window[c, done:done + take] = matrix[c, :take]
            done += take
