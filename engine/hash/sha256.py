"""SHA-256 (FIPS 180-4) over many equal-length messages at once, in Numba.

Merkle commitments hash one message per matrix row and one 64-byte message per
tree node, so the work is millions of *independent, equal-length* messages. The
kernels here hash ``LANES`` of them side by side: every round updates a
``(8, LANES)`` state array in a loop over lanes, which LLVM turns into SIMD code
(AVX2/AVX-512 on x86-64, NEON on aarch64), and ``prange`` spreads groups of
lanes over the cores.

Measured on the 2-core development machine (Xeon with SHA-NI and AVX-512),
hashing the rows of a 2^16 x 100 uint32 matrix (26 MB), best of 5:

============================================================  ==================
hashlib, one 64 MiB buffer (OpenSSL with SHA-NI, 1 core)      1.2-1.5 GB/s
hashlib, one call per 400-byte row (holds the GIL)            0.8 GB/s
rows, 1 thread, ``LANES`` = 8 / 16 / 64 / 128                 0.37 / 0.62 / 1.18 / 1.11 GB/s
rows, 1 thread, ``LANES`` = 256 / 512                         1.43 / 1.55 GB/s
rows, 1 thread, transposed copy + :func:`sha256_batch`        0.73 GB/s
rows, 2 threads, ``LANES`` = 256                              3.1 GB/s
============================================================  ==================

hashlib holds the GIL for messages under 2 KiB, so it cannot use the second
core for leaves or nodes and pays a Python call per message; the lane kernels
win by 2-4x. They read each row straight out of the column-major matrix (a
group of ``LANES`` consecutive rows is one contiguous run per column), which
beats transposing first by 2x. Single messages (transcript, verifier) go
through :func:`sha256`, i.e. hashlib, which needs no compilation.
:mod:`engine.hash.merkle` builds whole trees from the ``digest_*_group``
building blocks in one parallel region.
"""
from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np

__all__ = ["LANES", "ROW_SLOTS", "RowMessages", "digest_pairs_group", "digest_rows_group",
           "hash_pairs", "hash_rows", "lane_scratch", "row_messages", "sha256", "sha256_batch"]

#: Messages hashed side by side per group; wider amortises each round's loop
#: overhead over more SIMD work (see the table above) until the returns fade.
#: A group's scratch is (64 + 16) * LANES words (80 KiB).
LANES = 256

# FIPS 180-4, section 4.2.2: first 32 bits of the fractional parts of the cube
# roots of the first 64 primes.
_K = np.array([
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
    0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
    0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
    0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
    0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
    0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
    0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
    0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
    0xC67178F2], dtype=np.uint32)

# FIPS 180-4, section 5.3.3: initial hash value.
_H0 = np.array([0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19], dtype=np.uint32)

# Kernels read and write digests as native uint32 words of the (n, 32) uint8
# arrays and byte-swap them (4x fewer memory operations than bytes); that is
# right only on little-endian hosts, which every supported platform is.
if sys.byteorder != "little":
    raise ImportError("engine.hash.sha256 needs a little-endian host (x86-64, aarch64)")

#: The row kernels take a fixed-length tuple of matrices so that they compile (and
#: cache) once; unused slots hold an empty matrix, extra matrices are merged.
ROW_SLOTS = 4

_U32 = np.uint32


def sha256(data: bytes) -> bytes:
    """SHA-256 of one message (hashlib). Returns the 32-byte digest."""
    return hashlib.sha256(data).digest()


def sha256_batch(messages: np.ndarray) -> np.ndarray:
    """SHA-256 of every row of ``messages``.

    ``messages``: ``(n, m)`` uint8, one m-byte message per row (m may be 0).
    Returns ``(n, 32)`` uint8 digests. Raises ``ValueError`` on another shape
    or dtype.
    """
    if not isinstance(messages, np.ndarray) or messages.ndim != 2 or messages.dtype != np.uint8:
        raise ValueError("messages must be a 2-D uint8 array (n_messages, message_bytes)")
    messages = np.ascontiguousarray(messages)
    n, m = messages.shape
    out = np.empty((n, 32), dtype=np.uint8)
    with numba.parallel_chunksize(1):
        _messages_kernel(messages, _tail_template(m), out.view(np.uint32))
    return out


def hash_rows(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """SHA-256 of every row of the matrices taken together: the Merkle leaves.

    ``matrices``: one or more ``(n_columns_i, n_rows)`` uint32 arrays (column-major
    storage: each column contiguous), all of the same ``n_rows``. Row ``r``'s
    message is ``M1[:, r] ‖ M2[:, r] ‖ ...`` with each value as 4 little-endian
    bytes. Returns ``(n_rows, 32)`` uint8. Raises ``ValueError`` when there is no
    matrix, a matrix is not 2-D uint32, or heights differ.
    """
    rows = row_messages(matrices)
    out = np.empty((rows.n_rows, 32), dtype=np.uint8)
    with numba.parallel_chunksize(1):
        _rows_kernel(rows.slots, rows.word_matrix, rows.word_column, rows.tail,
                     out.view(np.uint32))
    return out


def hash_pairs(layer: np.ndarray) -> np.ndarray:
    """One Merkle tree level up: ``out[i] = SHA-256(layer[2i] ‖ layer[2i+1])``.

    ``layer``: ``(2k, 32)`` uint8 digests. Returns ``(k, 32)`` uint8. Raises
    ``ValueError`` on another shape or dtype, or an odd number of digests.
    """
    if (not isinstance(layer, np.ndarray) or layer.dtype != np.uint8 or layer.ndim != 2
            or layer.shape[1] != 32 or layer.shape[0] % 2):
        raise ValueError("layer must be a (2k, 32) uint8 array of digests")
    out = np.empty((layer.shape[0] // 2, 32), dtype=np.uint8)
    with numba.parallel_chunksize(1):
        _pairs_kernel(np.ascontiguousarray(layer).view(np.uint32), out.view(np.uint32))
    return out


class RowMessages(NamedTuple):
    """Where the message words of every matrix row come from (see :func:`row_messages`).

    ``slots``: a tuple of ``ROW_SLOTS`` C-contiguous (n_columns_i, n_rows) uint32
    matrices. Message word ``i`` of row ``r`` is
    ``slots[word_matrix[i]][word_column[i], r]`` (int64 arrays). ``tail``: the
    padding words from the first incomplete block on (see :func:`_tail_template`).
    """

    slots: tuple[np.ndarray, ...]
    word_matrix: np.ndarray
    word_column: np.ndarray
    tail: np.ndarray
    n_rows: int


def row_messages(matrices: Sequence[np.ndarray]) -> RowMessages:
    """Validate leaf matrices and describe their row messages for the Numba kernels.

    Raises ``ValueError`` when there is no matrix, a matrix is not 2-D uint32,
    or heights differ. Copies only matrices that are not C-contiguous, and all but
    the first ``ROW_SLOTS - 1`` matrices when there are more than ``ROW_SLOTS``.
    """
    mats = list(matrices)
    if not mats:
        raise ValueError("a commitment needs at least one matrix")
    for m in mats:
        if not isinstance(m, np.ndarray) or m.ndim != 2 or m.dtype != np.uint32:
            raise ValueError("matrices must be 2-D uint32 arrays (n_columns, n_rows)")
        if m.shape[1] != mats[0].shape[1]:
            raise ValueError(f"matrix heights differ: {m.shape[1]} != {mats[0].shape[1]}")
    mats = [np.ascontiguousarray(m) for m in mats]
    if len(mats) > ROW_SLOTS:
        mats = mats[:ROW_SLOTS - 1] + [np.concatenate(mats[ROW_SLOTS - 1:], axis=0)]
    n_rows = mats[0].shape[1]
    empty = np.empty((0, n_rows), dtype=np.uint32)
    word_matrix = np.concatenate(
        [np.full(m.shape[0], i, dtype=np.int64) for i, m in enumerate(mats)])
    word_column = np.concatenate([np.arange(m.shape[0], dtype=np.int64) for m in mats])
    return RowMessages(tuple(mats) + (empty,) * (ROW_SLOTS - len(mats)), word_matrix,
                       word_column, _tail_template(4 * len(word_column)), n_rows)


def _tail_template(n_bytes: int) -> np.ndarray:
    """Padding words from the first incomplete block on, message bytes zeroed.

    A message of ``n_bytes`` bytes has ``n_bytes // 64`` full blocks; the rest
    (the last ``n_bytes % 64`` message bytes, 0x80, zeros, the 64-bit big-endian
    bit length) is the same for every message except the message bytes, which
    the kernels fill in. Returns big-endian words, uint32, length 16 or 32.
    """
    rest = n_bytes % 64
    tail = bytearray(64 if rest < 56 else 128)
    tail[rest] = 0x80
    tail[-8:] = (8 * n_bytes).to_bytes(8, "big")
    return np.frombuffer(bytes(tail), dtype=">u4").astype(np.uint32)


def _expanded_schedule(block: np.ndarray) -> np.ndarray:
    """The 64-word message schedule of one block (FIPS 180-4, 6.2.2 step 1), uint32."""
    def rotr(x: int, n: int) -> int:
        return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF
    w = [int(x) for x in block]
    for t in range(16, 64):
        s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & 0xFFFFFFFF)
    return np.array(w, dtype=np.uint32)


# The second block of every 64-byte message (a tree node) is padding only, so
# its schedule is a constant.
_PAIR_PAD_SCHEDULE = _expanded_schedule(_tail_template(64))


@numba.njit(nogil=True, cache=True, inline="always")
def _rotr(x, n):
    return _U32((x >> _U32(n)) | (x << _U32(32 - n)))


@numba.njit(nogil=True, cache=True, inline="always")
def _bswap(v):
    return _U32(((v & _U32(0xFF)) << _U32(24)) | ((v & _U32(0xFF00)) << _U32(8))
                | ((v >> _U32(8)) & _U32(0xFF00)) | (v >> _U32(24)))


@numba.njit(nogil=True, cache=True)
def _compress_lanes(state, w, s, active, expand):
    """One SHA-256 compression in lanes ``0..active-1``.

    ``state``: (8, LANES) chaining values, updated in place. ``w``: (64, LANES)
    with the block's 16 big-endian words in rows 0..15; rows 16..63 receive the
    message schedule if ``expand``, else they already hold it. ``s``: (8, LANES)
    scratch. The working variables a..h
    rotate through the rows of ``s`` (variable v of round t lives in row
    (v - t) mod 8), so a round writes two rows instead of shifting eight; every
    loop runs over lanes innermost, which is what LLVM vectorizes.
    """
    for t in range(16, 64 if expand else 16):
        for lane in range(active):
            x = w[t - 15, lane]
            y = w[t - 2, lane]
            s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> _U32(3))
            s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> _U32(10))
            w[t, lane] = _U32(w[t - 16, lane] + s0 + w[t - 7, lane] + s1)
    for i in range(8):
        for lane in range(active):
            s[i, lane] = state[i, lane]
    for t in range(64):
        ia = (8 - t) & 7
        ib = (9 - t) & 7
        ic = (10 - t) & 7
        i_d = (11 - t) & 7
        ie = (12 - t) & 7
        i_f = (13 - t) & 7
        ig = (14 - t) & 7
        ih = (15 - t) & 7
        k = _K[t]
        for lane in range(active):
            a = s[ia, lane]
            b = s[ib, lane]
            c = s[ic, lane]
            e = s[ie, lane]
            big_s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
            choose = (e & s[i_f, lane]) ^ (~e & s[ig, lane])
            t1 = _U32(s[ih, lane] + big_s1 + choose + k + w[t, lane])
            big_s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
            majority = (a & b) ^ (a & c) ^ (b & c)
            s[i_d, lane] = _U32(s[i_d, lane] + t1)
            s[ih, lane] = _U32(t1 + big_s0 + majority)
    for i in range(8):
        for lane in range(active):
            state[i, lane] = _U32(state[i, lane] + s[i, lane])


@numba.njit(nogil=True, cache=True)
def lane_scratch():
    """Scratch for the ``digest_*_group`` building blocks: one per thread."""
    return (np.empty((8, LANES), dtype=np.uint32), np.empty((64, LANES), dtype=np.uint32),
            np.empty((8, LANES), dtype=np.uint32))


@numba.njit(nogil=True, cache=True)
def _init_state(state, active):
    for i in range(8):
        for lane in range(active):
            state[i, lane] = _H0[i]


@numba.njit(nogil=True, cache=True)
def _store_digests(state, active, dst_words, dst_first):
    """Lane l's digest to dst_words[dst_first + l] ((n, 8) uint32 view of (n, 32) bytes)."""
    for lane in range(active):
        for i in range(8):
            dst_words[dst_first + lane, i] = _bswap(state[i, lane])


@numba.njit(nogil=True, cache=True)
def digest_rows_group(slots, word_matrix, word_column, tail, first, active, dst_words,
                      dst_offset, scratch):
    """Numba building block: digests of rows ``first .. first+active-1`` (active <= LANES).

    Reads the rows as :class:`RowMessages` describes; writes row r's digest to
    ``dst_words[dst_offset + r]``, an (n, 8) uint32 view of (n, 32) uint8. Each value is byte-swapped: leaves hold little-endian values
    and SHA-256 reads big-endian words.
    """
    state, w, s = scratch
    _init_state(state, active)
    n_words = word_matrix.shape[0]
    full_blocks = n_words // 16
    for blk in range(full_blocks + tail.shape[0] // 16):
        for j in range(16):
            i = blk * 16 + j
            if i < n_words:
                column = slots[word_matrix[i]][word_column[i]]
                for lane in range(active):
                    w[j, lane] = _bswap(column[first + lane])
            else:
                word = tail[i - full_blocks * 16]
                for lane in range(active):
                    w[j, lane] = word
        _compress_lanes(state, w, s, active, True)
    _store_digests(state, active, dst_words, dst_offset + first)


@numba.njit(nogil=True, cache=True)
def digest_pairs_group(src_words, src_offset, first, active, dst_words, dst_offset, scratch):
    """Numba building block: parents ``first .. first+active-1`` of a tree level.

    Parent ``p`` = SHA-256(src[src_offset + 2p] ‖ src[src_offset + 2p + 1]),
    written to ``dst[dst_offset + p]``. ``src_words`` and ``dst_words`` are
    (n, 8) uint32 views of (n, 32) uint8 digest arrays and may be the same
    array (disjoint ranges).
    """
    state, w, s = scratch
    _init_state(state, active)
    for j in range(16):
        row = src_offset + 2 * first + (j >> 3)
        for lane in range(active):
            w[j, lane] = _bswap(src_words[row + 2 * lane, j & 7])
    _compress_lanes(state, w, s, active, True)
    for t in range(64):
        word = _PAIR_PAD_SCHEDULE[t]
        for lane in range(active):
            w[t, lane] = word
    _compress_lanes(state, w, s, active, False)
    _store_digests(state, active, dst_words, dst_offset + first)


@numba.njit(nogil=True, cache=True)
def _digest_messages_group(messages, tail, first, active, dst_words, scratch):
    """Digests of messages ``first .. first+active-1`` ((n, m) uint8) into ``dst_words``."""
    state, w, s = scratch
    _init_state(state, active)
    m = messages.shape[1]
    full_blocks = m // 64
    for blk in range(full_blocks + tail.shape[0] // 16):
        for j in range(16):
            if blk < full_blocks:
                p = blk * 64 + 4 * j
                for lane in range(active):
                    r = first + lane
                    w[j, lane] = _U32((_U32(messages[r, p]) << _U32(24))
                                      | (_U32(messages[r, p + 1]) << _U32(16))
                                      | (_U32(messages[r, p + 2]) << _U32(8))
                                      | _U32(messages[r, p + 3]))
            else:
                word = tail[(blk - full_blocks) * 16 + j]
                for lane in range(active):
                    w[j, lane] = word
        # Message bytes that spill into this tail block go into the zeroed slots.
        for p in range(max(blk * 64, full_blocks * 64), min(m, blk * 64 + 64)):
            j = p - blk * 64
            shift = _U32(24 - 8 * (j & 3))
            for lane in range(active):
                w[j >> 2, lane] |= _U32(messages[first + lane, p]) << shift
        _compress_lanes(state, w, s, active, True)
    _store_digests(state, active, dst_words, first)


@numba.njit(nogil=True, cache=True, parallel=True)
def _rows_kernel(slots, word_matrix, word_column, tail, out):
    n = out.shape[0]
    for g in numba.prange((n + LANES - 1) // LANES):
        first = g * LANES
        digest_rows_group(slots, word_matrix, word_column, tail, first, min(LANES, n - first),
                          out, 0, lane_scratch())


@numba.njit(nogil=True, cache=True, parallel=True)
def _pairs_kernel(layer, out):
    n = out.shape[0]
    for g in numba.prange((n + LANES - 1) // LANES):
        first = g * LANES
        digest_pairs_group(layer, 0, first, min(LANES, n - first), out, 0, lane_scratch())


@numba.njit(nogil=True, cache=True, parallel=True)
def _messages_kernel(messages, tail, out):
    n = out.shape[0]
    for g in numba.prange((n + LANES - 1) // LANES):
        first = g * LANES
        _digest_messages_group(messages, tail, first, min(LANES, n - first), out, lane_scratch())
