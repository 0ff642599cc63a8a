"""Validation of the arrays and scalars handed to the AIR evaluators.

Kernels trust their inputs (an out-of-range value silently gives wrong field
arithmetic), so every public entry point passes its arguments through these first.
"""
from __future__ import annotations

import numpy as np

from engine.field.babybear import P
from engine.field.scalar import Ext, Fp


def as_matrix(values, n_columns: int, height: int | None, what: str,
              check_range: bool = True) -> np.ndarray:
    """``values`` as a C-contiguous ``(n_columns, height)`` uint32 matrix of canonical
    elements, one column per row of the array (``None`` means no columns).
    ``height=None`` accepts any height. ``check_range=False`` skips the scan for values
    ``>= P`` in a uint32 matrix (for callers that check the part they read).

    Raises ``ValueError`` for a wrong shape or an out-of-range value.
    """
    if values is None:
        values = np.zeros((n_columns, height or 0), dtype=np.uint32)
    arr = np.asarray(values)
    if arr.ndim != 2 or arr.shape[0] != n_columns or (height is not None
                                                      and arr.shape[1] != height):
        want = f"({n_columns}, {'H' if height is None else height})"
        raise ValueError(f"{what}: expected shape {want}, got {arr.shape}")
    if arr.dtype != np.uint32:
        if arr.dtype.kind not in "ui":
            raise ValueError(f"{what}: expected integers, got {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= P):
            raise ValueError(f"{what}: values must lie in [0, P)")
        arr = arr.astype(np.uint32)
    elif check_range and arr.size and arr.max() >= P:
        raise ValueError(f"{what}: values must lie in [0, P)")
    return np.ascontiguousarray(arr)


def check_points(matrix: np.ndarray, start: int, stop: int, what: str) -> None:
    """Raise ``ValueError`` if a column value at points ``start .. stop - 1`` (taken
    modulo the matrix height) is not below P."""
    n = matrix.shape[1]
    if not matrix.size or stop <= start:
        return
    if stop - start >= n:
        ranges = [(0, n)]
    else:
        a, b = start % n, stop % n
        ranges = [(a, b)] if a < b else [(a, n), (0, b)]
    for a, b in ranges:
        if b > a and matrix[:, a:b].max() >= P:
            raise ValueError(f"{what}: values must lie in [0, P)")


def as_base_vector(values, n: int, what: str) -> np.ndarray:
    """``values`` (ints, ``Fp`` or an array) as a ``(n,)`` uint32 vector."""
    if values is None:
        values = []
    items = [int(v) for v in (values.tolist() if isinstance(values, np.ndarray) else values)]
    if len(items) != n:
        raise ValueError(f"{what}: expected {n} values, got {len(items)}")
    if any(not 0 <= v < P for v in items):
        raise ValueError(f"{what}: values must lie in [0, P)")
    return np.array(items, dtype=np.uint32)


def as_ext_rows(values, n: int, what: str) -> np.ndarray:
    """``values`` (a sequence of ``Ext``/``Fp``/int, or an ``(n, 4)`` array) as a
    ``(n, 4)`` uint32 array of extension elements."""
    if values is None:
        values = []
    if isinstance(values, np.ndarray) and values.ndim == 2:
        rows = values.tolist()
    elif isinstance(values, np.ndarray) and values.shape == (4,) and n == 1:
        rows = [values.tolist()]
    else:
        rows = [ext_coeffs(v) for v in values]
    if len(rows) != n or any(len(r) != 4 for r in rows):
        raise ValueError(f"{what}: expected {n} extension elements")
    if any(not 0 <= int(c) < P for r in rows for c in r):
        raise ValueError(f"{what}: coefficients must lie in [0, P)")
    return np.array(rows, dtype=np.uint32).reshape(n, 4)


def ext_coeffs(value) -> tuple[int, int, int, int]:
    """The four coefficients of an ``Ext``, ``Fp``, int or ``(4,)`` array."""
    if isinstance(value, Ext):
        return value.coeffs
    if isinstance(value, (Fp, int, np.integer)):
        return (int(value) % P, 0, 0, 0)
    arr = np.asarray(value)
    if arr.shape != (4,):
        raise ValueError(f"not an extension element: {value!r}")
    return tuple(int(c) for c in arr)


def as_ext(value) -> Ext:
    """``value`` (``Ext``, ``Fp``, int or ``(4,)`` array) as an ``Ext``."""
    return Ext(*ext_coeffs(value))
