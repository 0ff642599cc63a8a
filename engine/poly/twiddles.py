"""Precomputed roots of unity for the NTT (see :mod:`engine.poly.ntt_kernels`).

Two kinds of tables, each stored with its Shoup companions (:mod:`engine.field.shoup`):

* ``twiddle_tables``: entry ``h + j`` holds ``w_{2h}^j`` (``0 <= j < h``, ``h`` a power
  of two), where ``w_m = two_adic_generator(log2 m)``. The generators are consistent
  (``w_{2m}^2 = w_m``), so one table serves every smaller size. The four-step
  transform only needs it up to ``sqrt(N)``: at most 2^14 entries.
* ``four_step_tables``: per transform size, the factors of the twiddles between the
  two passes: ``8·(N/LANES + LANES·C)`` bytes, 1.5 MiB for ``N = 2^22``.

Memory stays bounded: tables for the last six sizes are kept, and
:func:`clear_twiddle_cache` releases everything. Tables are
read-only and replaced rather than modified, so threads can share them.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numba import njit

from engine.field.babybear import TWO_ADICITY, mulmod, powmod, two_adic_generator
from engine.field.shoup import shoup_companion
from engine.poly.ntt_kernels import LANES

_lock = threading.Lock()
_tables: tuple[np.ndarray, np.ndarray] | None = None


def twiddle_tables(log_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(roots, companions)``, ``np.uint32`` arrays covering sizes up to ``2^log_n``.

    ``roots[h + j] = w_{2h}^j`` for powers of two ``h < 2^log_n`` and ``j < h``;
    ``roots[0]`` is unused (1). Both arrays are read-only and at least ``2^log_n`` long.
    Raises ``ValueError`` beyond the two-adicity of BabyBear.
    """
    global _tables
    if not 0 <= log_n <= TWO_ADICITY:
        raise ValueError(f"no NTT of size 2^{log_n} over BabyBear "
                         f"(two-adicity is {TWO_ADICITY})")
    tables = _tables
    if tables is not None and tables[0].size >= 1 << log_n:
        return tables
    with _lock:
        if _tables is None or _tables[0].size < 1 << log_n:
            roots = np.empty(max(2, 1 << log_n), dtype=np.uint32)
            _fill_roots(roots, np.uint64(two_adic_generator(max(1, log_n))))
            companions = shoup_companion(roots)
            roots.flags.writeable = False
            companions.flags.writeable = False
            _tables = (roots, companions)
        return _tables


def clear_twiddle_cache() -> None:
    """Drop the cached tables (the next transform rebuilds what it needs)."""
    global _tables
    with _lock:
        _tables = None
    bit_reversal.cache_clear()
    four_step_tables.cache_clear()


@lru_cache(maxsize=32)
def bit_reversal(log_n: int) -> np.ndarray:
    """Return the read-only ``np.uint64`` permutation ``i -> reverse of i's log_n bits``."""
    rev = np.zeros(1 << log_n, dtype=np.uint64)
    for bit in range(log_n):
        rev |= ((np.arange(1 << log_n, dtype=np.uint64) >> np.uint64(bit)) & np.uint64(1)) \
            << np.uint64(log_n - 1 - bit)
    rev.flags.writeable = False
    return rev


class FourStepTables(NamedTuple):
    """Everything the four-step transform of size ``2^(log_r + log_c)`` reads.

    ``lane_tw[t·LANES + c] = w_N^(c·k2)`` and ``block_tw[b·C + t] = w_N^(b·LANES·k2)``
    with ``k2 = rev_c[t]`` factor the twiddles ``w_N^(n1·k2)``, ``n1 = b·LANES + c``,
    into two tables read in order (``w_N^(n1·k2)`` itself would be looked up all over
    a table as large as the column). ``*_q`` are Shoup companions.
    """

    log_r: int
    log_c: int
    rev_r: np.ndarray
    rev_c: np.ndarray
    roots: np.ndarray
    roots_q: np.ndarray
    lane_tw: np.ndarray
    lane_tw_q: np.ndarray
    block_tw: np.ndarray
    block_tw_q: np.ndarray


@lru_cache(maxsize=6)
def four_step_tables(log_n: int) -> FourStepTables:
    """Return the tables of the size-``2^log_n`` transform (``R = 2^(log_n // 2) <= C``).

    Raises ``ValueError`` beyond the two-adicity of BabyBear.
    """
    roots, roots_q = twiddle_tables(log_n - log_n // 2)
    log_r, log_c = log_n // 2, log_n - log_n // 2
    rev_c = bit_reversal(log_c)
    lane_tw = np.empty((1 << log_c) * LANES, dtype=np.uint32)
    block_tw = np.empty(max(1, (1 << log_r) // LANES) << log_c, dtype=np.uint32)
    _fill_four_step(np.uint64(two_adic_generator(log_n)), rev_c, lane_tw, block_tw)
    tables = [lane_tw, shoup_companion(lane_tw), block_tw, shoup_companion(block_tw)]
    for table in tables:
        table.flags.writeable = False
    return FourStepTables(log_r, log_c, bit_reversal(log_r), rev_c, roots, roots_q,
                          *tables)


@njit(nogil=True, cache=True)
def _fill_roots(roots, top_root):
    # The top half holds the powers of w_n; each lower half-table takes every other
    # entry of the one above it, since w_{2h}^j = w_{4h}^{2j}.
    n = roots.size
    half = n >> 1
    acc = np.uint64(1)
    for j in range(half):
        roots[half + j] = acc
        acc = mulmod(acc, top_root)
    h = half >> 1
    while h >= 1:
        for j in range(h):
            roots[h + j] = roots[2 * h + 2 * j]
        h >>= 1
    roots[0] = 1


@njit(nogil=True, cache=True)
def _fill_four_step(w_n, rev_c, lane_tw, block_tw):
    c_size = rev_c.size
    lanes = lane_tw.size // c_size
    for t in range(c_size):
        base = powmod(w_n, rev_c[t])
        acc = np.uint64(1)
        for c in range(lanes):
            lane_tw[t * lanes + c] = acc
            acc = mulmod(acc, base)
        step = powmod(base, lanes)
        acc = np.uint64(1)
        for b in range(block_tw.size // c_size):
            block_tw[b * c_size + t] = acc
            acc = mulmod(acc, step)
