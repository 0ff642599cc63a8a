"""Numba kernels of the NTT: a four-step (Bailey) transform over many columns.

A column of ``N = R·C`` points is viewed as a ``C × R`` matrix (``n = n1 + R·n2``).
With ``k = k2 + C·k1`` and ``w = w_N``:

    X[k2 + C·k1] = Σ_n1 w_R^(n1·k1) · w^(n1·k2) · Σ_n2 x[n1 + R·n2] · w_C^(n2·k2)

Pass 1 copies ``LANES`` neighbouring matrix columns into a scratch block, runs the
size-C transforms down them, multiplies by ``w^(n1·k2)`` and writes the block
transposed (row ``n1``, column ``k2``). Pass 2 runs the size-R transforms down the
columns of that and writes row ``k1``: natural order out, no bit-reversal pass.

Why this shape: every butterfly combines two scratch rows of contiguous lanes with one
twiddle, so every stage vectorizes (an in-place radix-2 transform spends its last
stages on neighbours inside one SIMD register), the scratch block stays in cache, and
blocks are independent, so ``prange`` splits one long column across threads as well
as many columns.

Inputs may be zero-extended (``n_src < N``), read backwards (``x[-i mod n_src]``, which
turns the forward transform into the inverse one) and multiplied pointwise before
(``in_scale``) and after (``out_scale``): a scale table of length 1 is a constant
factor, length 0 means none. Every constant comes with its Shoup companion.

Hot loops count with ``np.uint64``: Numba adds a negative-index fix-up to signed
indices, and that fix-up stops LLVM from vectorizing. Only the drivers are cached;
the helpers they call are compiled into them (see :mod:`engine.field.babybear` on
why helpers are not cached on their own).
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from engine.field.shoup import dif_butterfly, mul_shoup

# Matrix columns per scratch block: two 64-byte lines of uint32 per row, enough to keep
# two AVX-512 or four AVX2 registers busy per butterfly row (measured ~7% faster than 16).
LANES = 32
# Work items per thread in a parallel loop, handed out one at a time: a thread that the
# operating system pauses (other processes on the cores) then delays only its current
# item, not a fixed share of the work.
PARTS_PER_THREAD = 16
# Columns per pass of a threaded LDE: its coefficient buffer holds this many columns
# (16 × 2^20 points: 64 MiB), so the LDE's extra memory does not grow with the width.
LDE_CHUNK_COLUMNS = 16

_U0 = np.uint64(0)
_U1 = np.uint64(1)


def transform(src: np.ndarray, dst: np.ndarray, n_src: int, reverse: bool,
              in_scale: tuple[np.ndarray, np.ndarray],
              out_scale: tuple[np.ndarray, np.ndarray], tables, threads: int) -> None:
    """Write the length-N transform of every row of ``src`` into ``dst``.

    ``src``: (m, >= n_src) uint32; ``dst``: (m, N) uint32, ``N = 2^(log_r + log_c)``
    with ``log_r <= log_c`` and ``N >= 2``, not overlapping ``src``. Scales are
    ``(values, companions)`` pairs. ``tables``: the
    :class:`engine.poly.twiddles.FourStepTables` of size N. ``threads <= 1`` runs on
    the calling thread; otherwise columns, or the blocks of fewer columns than
    threads, are shared out with ``prange``.
    """
    args = (src, dst, n_src, reverse, in_scale[0], in_scale[1], out_scale[0],
            out_scale[1], tables)
    if threads <= 1:
        _transform_serial(*args)
    elif dst.shape[0] >= threads:
        _dynamic(_transform_by_columns, *args)
    else:
        _dynamic(_transform_by_blocks, *args, PARTS_PER_THREAD * threads)


def low_degree_extend(src: np.ndarray, dst: np.ndarray,
                      scale: tuple[np.ndarray, np.ndarray], small, big,
                      threads: int) -> None:
    """``dst[j] = transform(scale · inverse_transform(src[j]))``: the coset LDE.

    ``src``: (m, n), ``dst``: (m, N); ``small``/``big``: tables of sizes n and N;
    ``scale``: ``(shift^i / n, companions)`` for ``i < n``. On one thread each column
    goes through both transforms while its n-point temporary is still in cache; on
    several, chunks of ``LDE_CHUNK_COLUMNS`` columns go through each transform in turn.

    The scale multiplies the coefficients as the inverse transform stores them (row by
    row, contiguous) rather than as the forward transform gathers them (``LANES``
    points at a stride of R, a second strided stream beside the input).
    """
    if threads <= 1:
        _lde_serial(src, dst, scale[0], scale[1], small, big)
        return
    # On threads, the two transforms run one after the other over a chunk of columns
    # at a time, the coefficients in one buffer reused for every chunk. Fusing them per
    # column in a prange (each iteration allocating its temporaries) measured 3x slower
    # on 2 threads (64 columns 2^18 -> 2^20: 1.02 s against 0.32 s) and slower than one
    # thread (0.61 s).
    m, n = src.shape
    chunk = min(m, max(threads, LDE_CHUNK_COLUMNS))
    coeffs = np.empty((chunk, n), dtype=np.uint32)
    none = (np.zeros(0, dtype=np.uint32),) * 2
    for start in range(0, m, chunk):
        k = min(chunk, m - start)
        transform(src[start:start + k], coeffs[:k], n, True, none, scale, small, threads)
        transform(coeffs[:k], dst[start:start + k], n, False, none, none, big, threads)


def _dynamic(kernel, *args) -> None:
    """Run a ``prange`` kernel with dynamic scheduling, one iteration per hand-out."""
    previous = numba.get_parallel_chunksize()
    numba.set_parallel_chunksize(1)
    try:
        kernel(*args)
    finally:
        numba.set_parallel_chunksize(previous)


@njit(nogil=True, cache=True)
def _transform_serial(src, dst, n_src, reverse, in_scale, in_scale_q, out_scale,
                      out_scale_q, tables):
    s = _scratch(tables)
    for col in range(dst.shape[0]):
        _column(src[col], dst[col], s, n_src, reverse, in_scale, in_scale_q, out_scale,
                out_scale_q, tables)


@njit(nogil=True, cache=True, parallel=True)
def _transform_by_columns(src, dst, n_src, reverse, in_scale, in_scale_q, out_scale,
                          out_scale_q, tables):
    for col in prange(dst.shape[0]):
        _column(src[col], dst[col], _scratch(tables), n_src, reverse, in_scale,
                in_scale_q, out_scale, out_scale_q, tables)


@njit(nogil=True, cache=True, parallel=True)
def _transform_by_blocks(src, dst, n_src, reverse, in_scale, in_scale_q, out_scale,
                         out_scale_q, tables, parts):
    m = dst.shape[0]
    blocks1, blocks2 = _block_counts(tables)
    # One scratch buffer per part; parts take contiguous ranges of (column, block) items.
    for part in prange(parts):
        s = _scratch(tables)
        for item in range(part * m * blocks1 // parts, (part + 1) * m * blocks1 // parts):
            _pass1_block(src[item // blocks1], dst[item // blocks1], s, item % blocks1,
                         n_src, reverse, in_scale, in_scale_q, tables)
    for part in prange(parts):
        s = _scratch(tables)
        for item in range(part * m * blocks2 // parts, (part + 1) * m * blocks2 // parts):
            _pass2_block(dst[item // blocks2], s, item % blocks2, out_scale, out_scale_q,
                         tables)


@njit(nogil=True, cache=True)
def _lde_serial(src, dst, scale, scale_q, small, big):
    none = np.zeros(0, dtype=np.uint32)
    s = _scratch(big)
    coeffs = np.empty(src.shape[1], dtype=np.uint32)
    for col in range(dst.shape[0]):
        _column(src[col], coeffs, s, coeffs.size, True, none, none, scale, scale_q, small)
        _column(coeffs, dst[col], s, coeffs.size, False, none, none, none, none, big)


@njit(nogil=True)
def _scratch(tables):
    """A scratch buffer large enough for either pass of a transform."""
    return np.empty(LANES << max(tables.log_r, tables.log_c), dtype=np.uint32)


@njit(nogil=True)
def _column(x, y, s, n_src, reverse, in_scale, in_scale_q, out_scale, out_scale_q,
            tables):
    """The whole transform of one column ``x`` into ``y``, on one thread."""
    blocks1, blocks2 = _block_counts(tables)
    for block in range(blocks1):
        _pass1_block(x, y, s, block, n_src, reverse, in_scale, in_scale_q, tables)
    for block in range(blocks2):
        _pass2_block(y, s, block, out_scale, out_scale_q, tables)


@njit(nogil=True)
def _block_counts(tables):
    """Scratch blocks per column in pass 1 (``R / LANES``) and pass 2 (``C / LANES``)."""
    r_size = 1 << tables.log_r
    c_size = 1 << tables.log_c
    return r_size // min(LANES, r_size), c_size // min(LANES, c_size)


@njit(nogil=True)
def _pass1_block(x, y, s, block, n_src, reverse, scale, scale_q, tables):
    """Size-C transforms down matrix columns ``block·w .. +w`` of ``x``, twiddled and
    stored transposed into ``y``."""
    r_size = 1 << tables.log_r
    c_size = 1 << tables.log_c
    w = min(LANES, r_size)
    _gather_rows(x, s, n_src, reverse, scale, scale_q, block * w, w, r_size, c_size)
    _dif_rows(s, c_size, w, tables.roots, tables.roots_q)
    rows = slice(block * c_size, (block + 1) * c_size)
    _twiddle_rows(s, c_size, w, tables.lane_tw, tables.lane_tw_q, tables.block_tw[rows],
                  tables.block_tw_q[rows])
    _store_transposed(s, y, block * w, w, c_size, tables.rev_c)


@njit(nogil=True)
def _pass2_block(y, s, block, scale, scale_q, tables):
    """Size-R transforms down matrix columns ``block·w .. +w`` of ``y`` (R × C), in place."""
    r_size = 1 << tables.log_r
    c_size = 1 << tables.log_c
    w = min(LANES, c_size)
    _load_block(y, s, block * w, w, r_size, c_size)
    _dif_rows(s, r_size, w, tables.roots, tables.roots_q)
    _store_rows(s, y, scale, scale_q, block * w, w, r_size, c_size, tables.rev_r)


@njit(nogil=True)
def _gather_rows(x, s, n_src, reverse, scale, scale_q, c0, w, r_size, c_size):
    """``s[n2, c] = a[c0 + c + R·n2]`` where ``a`` is ``x`` zero-extended, maybe reversed
    and scaled (see the module docstring).

    A row of ``w`` lanes that lies wholly inside ``x`` (every row but the zero tail of a
    zero-extended input, since ``R``, ``c0`` and ``n_src`` are multiples of ``w``) is
    copied by a branch-free loop per case, which LLVM vectorizes; the general loop, with
    its bounds test per lane, handles the rest. (With that test in every row, a scale
    table made a 64 × 2^18 → 2^20 forward transform 1.5x slower; now it costs ~2 %.)
    """
    mask = np.uint64(n_src - 1)
    n_src = np.uint64(n_src)
    w = np.uint64(w)
    n2 = _U0
    while n2 < np.uint64(c_size):
        base = n2 * np.uint64(r_size) + np.uint64(c0)
        row = n2 * w
        c = _U0
        if base + w > n_src:
            while c < w:
                i = base + c
                v = np.uint32(0)
                if i < n_src:
                    v = x[(n_src - i) & mask] if reverse else x[i]
                    if scale.size == 1:
                        v = mul_shoup(v, scale[0], scale_q[0])
                    elif scale.size > 1:
                        v = mul_shoup(v, scale[i], scale_q[i])
                s[row + c] = v
                c += _U1
        elif reverse:
            while c < w:
                v = x[(n_src - base - c) & mask]
                if scale.size == 1:
                    v = mul_shoup(v, scale[0], scale_q[0])
                elif scale.size > 1:
                    v = mul_shoup(v, scale[base + c], scale_q[base + c])
                s[row + c] = v
                c += _U1
        elif scale.size == 0:
            while c < w:
                s[row + c] = x[base + c]
                c += _U1
        elif scale.size == 1:
            while c < w:
                s[row + c] = mul_shoup(x[base + c], scale[0], scale_q[0])
                c += _U1
        else:
            while c < w:
                s[row + c] = mul_shoup(x[base + c], scale[base + c], scale_q[base + c])
                c += _U1
        n2 += _U1


@njit(nogil=True)
def _dif_rows(s, n_rows, w, roots, roots_q):
    """Radix-2 decimation in frequency down the columns of ``s`` seen as (n_rows, w).

    Natural order in, bit-reversed row order out. Stage ``h`` pairs rows ``j`` and
    ``j + h`` of each block of ``2h`` rows with the twiddle ``w_{2h}^j = roots[h + j]``.
    """
    n_rows = np.uint64(n_rows)
    w = np.uint64(w)
    h = n_rows >> _U1
    while h >= _U1:
        lo = _U0
        while lo < n_rows:
            j = _U0
            while j < h:
                ra = (lo + j) * w
                rb = ra + h * w
                t = roots[h + j]
                tq = roots_q[h + j]
                c = _U0
                while c < w:
                    s[ra + c], s[rb + c] = dif_butterfly(s[ra + c], s[rb + c], t, tq)
                    c += _U1
                j += _U1
            lo += h + h
        h >>= _U1


@njit(nogil=True)
def _twiddle_rows(s, n_rows, w, lane_tw, lane_tw_q, block_tw, block_tw_q):
    """Multiply row ``t``, lane ``c`` of ``s`` by ``lane_tw[t, c] · block_tw[t]``."""
    w = np.uint64(w)
    lanes = np.uint64(LANES)
    t = _U0
    while t < np.uint64(n_rows):
        b = block_tw[t]
        bq = block_tw_q[t]
        c = _U0
        while c < w:
            v = mul_shoup(s[t * w + c], lane_tw[t * lanes + c], lane_tw_q[t * lanes + c])
            s[t * w + c] = mul_shoup(v, b, bq)
            c += _U1
        t += _U1


@njit(nogil=True)
def _store_transposed(s, y, c0, w, c_size, rev_c):
    """``y[(c0 + c)·C + k2] = s[rev_c[k2], c]``: undo the bit reversal and transpose."""
    w = np.uint64(w)
    c_size = np.uint64(c_size)
    c = _U0
    while c < w:
        out = (np.uint64(c0) + c) * c_size
        k2 = _U0
        while k2 < c_size:
            y[out + k2] = s[rev_c[k2] * w + c]
            k2 += _U1
        c += _U1


@njit(nogil=True)
def _load_block(y, s, c0, w, r_size, c_size):
    """``s[n1, c] = y[n1·C + c0 + c]``: the pass-2 block, matrix columns ``c0 .. c0+w``."""
    w = np.uint64(w)
    n1 = _U0
    while n1 < np.uint64(r_size):
        src = n1 * np.uint64(c_size) + np.uint64(c0)
        c = _U0
        while c < w:
            s[n1 * w + c] = y[src + c]
            c += _U1
        n1 += _U1


@njit(nogil=True)
def _store_rows(s, y, scale, scale_q, c0, w, r_size, c_size, rev_r):
    """``y[rev_r[t]·C + c0 + c] = s[t, c]``, times ``scale`` at that output index."""
    w = np.uint64(w)
    t = _U0
    while t < np.uint64(r_size):
        out = rev_r[t] * np.uint64(c_size) + np.uint64(c0)
        row = t * w
        c = _U0
        if scale.size == 0:
            while c < w:
                y[out + c] = s[row + c]
                c += _U1
        elif scale.size == 1:
            while c < w:
                y[out + c] = mul_shoup(s[row + c], scale[0], scale_q[0])
                c += _U1
        else:
            while c < w:
                y[out + c] = mul_shoup(s[row + c], scale[out + c], scale_q[out + c])
                c += _U1
        t += _U1
