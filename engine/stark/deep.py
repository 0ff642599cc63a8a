"""DEEP kernels: out-of-domain evaluation by the barycentric formula, and the pieces of
the DEEP composition codeword (column combinations, ``1/(z − x)``, quotient terms).

Everything runs over a coset ``s·H_n`` of a two-adic subgroup in natural order
(entry ``j`` at ``x_j = s·ω_n^j``), base-field columns as rows of ``(m, n)`` uint32
matrices (the layout of :mod:`engine.poly.ntt`), extension values as ``(..., 4)``.

Barycentric formula over ``D = s·H_n`` (``Z_D(X) = X^n − s^n``, ``Z_D'(x_j) =
n·s^n / x_j``): for ``z`` outside ``D``,

    f(z) = (z^n − s^n) / (n·s^n) · Σ_j f(x_j) · x_j / (z − x_j),

so with the weights ``w_j = (z^n − s^n)/(n·s^n) · x_j/(z − x_j)`` (``n`` extension
values, shared by every column) each column costs one base-times-extension dot
product, and no interpolation is needed.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit, prange

from engine.field.babybear import _P, P, bb_mul, bb_powers, two_adic_generator
from engine.field.ext4 import e4_add, e4_inv, e4_mul, e4_mul_base, e4_sub
from engine.field.scalar import Ext

__all__ = ["add_scaled", "barycentric_weights", "combine_columns", "deep_codeword",
           "domain_points", "evaluate_at_points", "inverse_differences"]

# Rows per parallel chunk: big enough to amortise one inversion per chunk (batch
# inversion) and small enough that a chunk's accumulators stay in L1/L2 cache.
_CHUNK = 1024

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_TWO32 = np.uint64((1 << 32) % P)


def domain_points(log_n: int, shift: int) -> np.ndarray:
    """The coset ``shift·H_n`` in natural order: (2^log_n,) uint32."""
    return bb_mul(bb_powers(two_adic_generator(log_n), 1 << log_n), shift)


def evaluate_at_points(matrices: Sequence[np.ndarray], stride: int, log_n: int, shift: int,
                       points: Sequence[Ext], *,
                       weights: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Evaluate every column at every out-of-domain point (barycentric formula).

    ``matrices``: (m_i, n·stride) uint32 each, whose every ``stride``-th entry
    (``0, stride, ...``) is the column's value over ``shift·H_n``: an LDE of blowup
    ``stride`` over ``shift·H_(n·stride)`` qualifies, and stride 1 means plain
    evaluations. ``points``: extension points outside ``shift·H_n``. ``weights``:
    each point's :func:`barycentric_weights` if the caller has them already (a
    prover opening several groups at the same points). Returns
    (len(points), Σ m_i, 4) uint32, columns of the matrices side by side.
    Raises ``ZeroDivisionError`` if a point lies in the domain.
    """
    if weights is None:
        weights = [barycentric_weights(log_n, shift, z) for z in points]
    # (4·points, n): one contiguous row per (point, coordinate), the kernel's inner loop.
    rows = np.ascontiguousarray(np.stack([w.T for w in weights]).reshape(4 * len(points), -1))
    parts = []
    for matrix in matrices:
        out = np.empty((matrix.shape[0], 4 * len(points)), dtype=np.uint32)
        _dot_strided(np.ascontiguousarray(matrix), stride, rows, out)
        parts.append(out.reshape(-1, len(points), 4))
    return np.ascontiguousarray(np.concatenate(parts, axis=0).transpose(1, 0, 2))


def barycentric_weights(log_n: int, shift: int, point: Ext, *,
                        inverses: np.ndarray | None = None) -> np.ndarray:
    """``w_j = (z^n − s^n)/(n·s^n) · x_j/(z − x_j)`` for ``j < n``: (n, 4) uint32.

    ``inverses``: the (n, 4) values ``1/(z − x_j)`` if the caller has them (every
    ``B``-th entry of :func:`inverse_differences` over a coset ``s·H_(B·n)``).
    Raises ``ZeroDivisionError`` if ``point`` lies in ``shift·H_n``.
    """
    n = 1 << log_n
    xs = domain_points(log_n, shift)
    if inverses is None:
        inverses = inverse_differences(point, xs)
    s_n = pow(shift, n, P)
    scale = (point ** n - s_n) * pow(n * s_n % P, P - 2, P)
    weights = np.empty((n, 4), dtype=np.uint32)
    _scale_by_points(np.ascontiguousarray(inverses), xs, np.array(scale.coeffs, dtype=np.uint64),
                     weights)
    return weights


def inverse_differences(point: Ext, xs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1/(z − x_j)`` for base-field ``xs`` (k,) uint32: (k, 4) uint32 (in ``out``, a
    C-contiguous (k, 4) uint32 array, if given).

    Batch inversion: one extension inversion per chunk of rows, three products per
    entry. Raises ``ZeroDivisionError`` if ``z`` equals some ``x_j``.
    """
    if point.is_base() and np.any(xs == point.coeffs[0]):
        raise ZeroDivisionError("the out-of-domain point lies in the evaluation domain")
    if out is None:
        out = np.empty((xs.shape[0], 4), dtype=np.uint32)
    _inverse_differences(np.array(point.coeffs, dtype=np.uint64), xs, out)
    return out


def combine_columns(matrices: Sequence[np.ndarray], coeffs: np.ndarray,
                    stride: int = 1) -> np.ndarray:
    """``Σ_i coeffs[i]·column_i`` at every ``stride``-th row: (n, 4) uint32.

    ``matrices``: (m_i, n·stride) uint32 base-field columns; ``coeffs``: (Σ m_i, 4)
    uint32 extension coefficients, one per column in order. With an LDE of blowup
    ``stride`` over ``s·H_(n·stride)`` the result is the combination over ``s·H_n``.
    """
    total = None
    start = 0
    for matrix in matrices:
        width = matrix.shape[0]
        part = np.empty((matrix.shape[1] // stride, 4), dtype=np.uint32)
        _combine(np.ascontiguousarray(matrix), stride,
                 coeffs[start:start + width].astype(np.uint64), part)
        total = part if total is None else ((total.astype(np.uint64) + part) % P).astype(np.uint32)
        start += width
    return total


def add_scaled(acc_columns: np.ndarray, values: np.ndarray, scale: Ext) -> None:
    """In place: ``acc_columns[:, j] += scale·values[j]`` for every ``j``.

    ``acc_columns``: (4, n) uint32, an extension column as its 4 coordinate rows (the
    layout the NTT extends); ``values``: (n, 4) uint32; ``scale``: an extension scalar.
    """
    _add_scaled(acc_columns, values, np.array(scale.coeffs, dtype=np.uint64))


def deep_codeword(mask: np.ndarray | None, numerators: np.ndarray, claimed: np.ndarray,
                  inv_differences: np.ndarray) -> np.ndarray:
    """``F(x_j) = R(x_j) + Σ_k (T_k(x_j) − v_k)·inv_differences[k, j]``: (N, 4) uint32.

    ``mask``: (4, N) uint32 coordinate rows of ``R`` (None: no mask);
    ``numerators``: (k, 4, N) uint32 coordinate rows of each ``T_k``; ``claimed``:
    (k, 4) uint32 values ``v_k``; ``inv_differences``: (k, N, 4) uint32. One pass over
    the N points.
    """
    n = numerators.shape[2]
    out = np.empty((n, 4), dtype=np.uint32)
    if mask is None:
        mask = np.zeros((4, 0), dtype=np.uint32)
        mask.flags.writeable = False   # one kernel signature: committed LDEs are read-only
    _deep_codeword(np.ascontiguousarray(mask), mask.shape[1] > 0,
                   numerators, claimed.astype(np.uint64), inv_differences, out)
    return out


# --- Kernels ------------------------------------------------------------------------------

@njit(nogil=True, cache=True)
def _load(a, j):
    return (np.uint64(a[j, 0]), np.uint64(a[j, 1]), np.uint64(a[j, 2]), np.uint64(a[j, 3]))


@njit(nogil=True, cache=True)
def _store(out, j, v):
    out[j, 0] = v[0]
    out[j, 1] = v[1]
    out[j, 2] = v[2]
    out[j, 3] = v[3]


@njit(nogil=True, cache=True, parallel=True)
def _inverse_differences(z, xs, out):
    # Montgomery's trick per chunk: prefix products up, one inversion, back down.
    n = xs.shape[0]
    zt = (z[0], z[1], z[2], z[3])
    for chunk in prange((n + _CHUNK - 1) // _CHUNK):
        lo = chunk * _CHUNK
        hi = min(n, lo + _CHUNK)
        acc = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
        for j in range(lo, hi):
            _store(out, j, acc)
            acc = e4_mul(acc, ((zt[0] + _P - np.uint64(xs[j])) % _P, zt[1], zt[2], zt[3]))
        inv = e4_inv(acc)
        for j in range(hi - 1, lo - 1, -1):
            d = ((zt[0] + _P - np.uint64(xs[j])) % _P, zt[1], zt[2], zt[3])
            _store(out, j, e4_mul(inv, _load(out, j)))
            inv = e4_mul(inv, d)


@njit(nogil=True, cache=True, parallel=True)
def _scale_by_points(inverses, xs, scale, out):
    s = (scale[0], scale[1], scale[2], scale[3])
    for j in prange(xs.shape[0]):
        _store(out, j, e4_mul(e4_mul_base(_load(inverses, j), xs[j]), s))


@njit(nogil=True, cache=True, parallel=True)
def _dot_strided(matrix, stride, weights, out):
    # out[c, k] = Σ_j matrix[c, j·stride] · weights[k, j]. Per column, blocks of the
    # strided entries are copied to a contiguous buffer; each dot product then runs
    # over two contiguous rows and vectorizes (see _split_sum for the reduction).
    n_weights, n = weights.shape
    for c in prange(matrix.shape[0]):
        acc_lo = np.zeros(n_weights, dtype=np.uint64)
        acc_hi = np.zeros(n_weights, dtype=np.uint64)
        buf = np.empty(_CHUNK, dtype=np.uint64)
        for lo in range(0, n, _CHUNK):
            width = min(n, lo + _CHUNK) - lo
            for j in range(width):
                buf[j] = matrix[c, (lo + j) * stride]
            for k in range(n_weights):
                w = weights[k, lo:lo + width]
                s_lo = np.uint64(0)
                s_hi = np.uint64(0)
                for j in range(width):
                    product = buf[j] * np.uint64(w[j])
                    s_lo += product & _LOW32
                    s_hi += product >> _SHIFT32
                acc_lo[k] += s_lo
                acc_hi[k] += s_hi
        for k in range(n_weights):
            out[c, k] = _split_sum(acc_lo[k], acc_hi[k])


@njit(nogil=True, cache=True, parallel=True)
def _combine(matrix, stride, coeffs, out):
    # out[j] = Σ_i coeffs[i]·matrix[i, j·stride]: per chunk of rows, one pass per column
    # and coordinate over a contiguous copy of the chunk, accumulated as split sums (see
    # _split_sum).
    m = matrix.shape[0]
    n = out.shape[0]
    for chunk in prange((n + _CHUNK - 1) // _CHUNK):
        lo = chunk * _CHUNK
        width = min(n, lo + _CHUNK) - lo
        acc_lo = np.zeros((4, _CHUNK), dtype=np.uint64)
        acc_hi = np.zeros((4, _CHUNK), dtype=np.uint64)
        row = np.empty(_CHUNK, dtype=np.uint64)
        for i in range(m):
            for j in range(width):
                row[j] = matrix[i, (lo + j) * stride]
            for d in range(4):
                c = coeffs[i, d]
                sum_lo = acc_lo[d]
                sum_hi = acc_hi[d]
                for j in range(width):
                    product = row[j] * c
                    sum_lo[j] += product & _LOW32
                    sum_hi[j] += product >> _SHIFT32
        for j in range(width):
            for d in range(4):
                out[lo + j, d] = _split_sum(acc_lo[d, j], acc_hi[d, j])


@njit(nogil=True, cache=True)
def _split_sum(sum_lo, sum_hi):
    # A sum of products a·b < 2^62 is kept as Σ low 32 bits and Σ high 32 bits: both
    # grow by < 2^32 per term, so up to 2^31 terms fit in 64 bits with no reduction in
    # the loop (which lets it vectorize); the total is sum_hi·2^32 + sum_lo mod p.
    return ((sum_hi % _P) * _TWO32 + sum_lo % _P) % _P


@njit(nogil=True, cache=True, parallel=True)
def _add_scaled(acc, values, scale):
    s = (scale[0], scale[1], scale[2], scale[3])
    for j in prange(values.shape[0]):
        term = e4_mul(_load(values, j), s)
        for c in range(4):
            acc[c, j] = (np.uint64(acc[c, j]) + term[c]) % _P


@njit(nogil=True, cache=True, parallel=True)
def _deep_codeword(mask, has_mask, numerators, claimed, inv_differences, out):
    for j in prange(out.shape[0]):
        if has_mask:
            total = (np.uint64(mask[0, j]), np.uint64(mask[1, j]), np.uint64(mask[2, j]),
                     np.uint64(mask[3, j]))
        else:
            total = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
        for k in range(numerators.shape[0]):
            t = (np.uint64(numerators[k, 0, j]), np.uint64(numerators[k, 1, j]),
                 np.uint64(numerators[k, 2, j]), np.uint64(numerators[k, 3, j]))
            v = (claimed[k, 0], claimed[k, 1], claimed[k, 2], claimed[k, 3])
            inv = (np.uint64(inv_differences[k, j, 0]), np.uint64(inv_differences[k, j, 1]),
                   np.uint64(inv_differences[k, j, 2]), np.uint64(inv_differences[k, j, 3]))
            total = e4_add(total, e4_mul(e4_sub(t, v), inv))
        _store(out, j, total)
