"""Evaluate polynomials given by coefficients at arbitrary points (Horner's rule).

Coefficients are base-field ``np.uint32`` in increasing degree, one polynomial per
row: ``(n,)`` or ``(m, n)``, the same layout as :mod:`engine.poly.ntt`. Points are
base-field (``evaluate_poly``) or extension-field (``evaluate_poly_ext``, for the
out-of-domain point of DEEP-ALI). Costs ``n`` multiplications per polynomial and point.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.field.babybear import addmod, as_field_array, mulmod
from engine.field.ext4 import as_ext_array, e4_mul

# Below this many multiplications an evaluation runs on the calling thread.
PARALLEL_MIN_TERMS = 1 << 16


def evaluate_poly(coeffs, points) -> np.ndarray:
    """Return ``f(x)`` for every polynomial ``f`` (row of ``coeffs``) and point ``x``.

    ``coeffs``: (n,) or (m, n) canonical ``np.uint32``; ``points``: any shape ``S`` of
    base-field elements. Returns shape ``S`` for 1-D ``coeffs``, else ``(m,) + S``.
    The empty polynomial (n = 0) is zero.
    """
    table, one_d = _coefficient_rows(coeffs)
    xs = as_field_array(points)
    out = np.empty((table.shape[0], xs.size), dtype=np.uint32)
    kernel = _horner_parallel if _is_large(table, xs.size) else _horner_serial
    kernel(table, _writeable(xs).reshape(-1), out)
    out = out.reshape((table.shape[0],) + xs.shape)
    return out[0] if one_d else out


def evaluate_poly_ext(coeffs, points_ext) -> np.ndarray:
    """Like :func:`evaluate_poly` at extension-field points of shape ``S + (4,)``.

    Returns extension values: shape ``S + (4,)`` for 1-D ``coeffs``, else
    ``(m,) + S + (4,)``.
    """
    table, one_d = _coefficient_rows(coeffs)
    zs = as_ext_array(points_ext)
    flat = _writeable(zs).reshape(-1, 4)
    out = np.empty((table.shape[0], flat.shape[0], 4), dtype=np.uint32)
    kernel = _horner_ext_parallel if _is_large(table, flat.shape[0]) else _horner_ext_serial
    kernel(table, flat, out)
    out = out.reshape((table.shape[0],) + zs.shape)
    return out[0] if one_d else out


def _is_large(table: np.ndarray, n_points: int) -> bool:
    """Worth waking threads: many polynomial-point pairs, each with enough terms."""
    return table.shape[0] * n_points >= 2 and table.size * n_points >= PARALLEL_MIN_TERMS


def _coefficient_rows(coeffs) -> tuple[np.ndarray, bool]:
    arr = as_field_array(coeffs)
    if arr.ndim not in (1, 2):
        raise ValueError(f"coefficients have shape (n,) or (m, n), got {arr.shape}")
    one_d = arr.ndim == 1
    return _writeable(arr.reshape(1, -1) if one_d else arr), one_d


def _writeable(arr: np.ndarray) -> np.ndarray:
    """C-contiguous and writeable, so each kernel compiles for one argument type."""
    return np.require(arr, np.uint32, ["C", "W"])


@njit(nogil=True)
def _horner_base(coeffs, row, x):
    """Polynomial ``coeffs[row]`` at base point ``x``."""
    acc = np.uint64(0)
    for i in range(coeffs.shape[1] - 1, -1, -1):
        acc = addmod(mulmod(acc, x), coeffs[row, i])
    return acc


@njit(nogil=True, cache=True)
def _horner_serial(coeffs, xs, out):
    for row in range(coeffs.shape[0]):
        for k in range(xs.size):
            out[row, k] = _horner_base(coeffs, row, xs[k])


@njit(nogil=True, cache=True, parallel=True)
def _horner_parallel(coeffs, xs, out):
    for item in prange(coeffs.shape[0] * xs.size):
        row = item // xs.size
        k = item % xs.size
        out[row, k] = _horner_base(coeffs, row, xs[k])


@njit(nogil=True)
def _horner_ext_one(coeffs, row, z0, z1, z2, z3):
    """Polynomial ``coeffs[row]`` at the extension point ``(z0, z1, z2, z3)``."""
    z = (z0, z1, z2, z3)
    acc = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for i in range(coeffs.shape[1] - 1, -1, -1):
        acc = e4_mul(acc, z)
        acc = (addmod(acc[0], coeffs[row, i]), acc[1], acc[2], acc[3])
    return acc


@njit(nogil=True, cache=True)
def _horner_ext_serial(coeffs, zs, out):
    for row in range(coeffs.shape[0]):
        for k in range(zs.shape[0]):
            acc = _horner_ext_one(coeffs, row, zs[k, 0], zs[k, 1], zs[k, 2], zs[k, 3])
            for d in range(4):
                out[row, k, d] = acc[d]


@njit(nogil=True, cache=True, parallel=True)
def _horner_ext_parallel(coeffs, zs, out):
    for item in prange(coeffs.shape[0] * zs.shape[0]):
        row = item // zs.shape[0]
        k = item % zs.shape[0]
        acc = _horner_ext_one(coeffs, row, zs[k, 0], zs[k, 1], zs[k, 2], zs[k, 3])
        for d in range(4):
            out[row, k, d] = acc[d]
