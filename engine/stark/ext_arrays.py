"""Extension-field arithmetic on small NumPy arrays: the verifier's vector operations.

An array of extension elements is ``(..., 4)`` ``np.uint64`` holding canonical
coefficients ``c0 + c1·X + c2·X² + c3·X³`` with ``X^4 = W`` (:mod:`engine.field.ext4`);
base-field arrays are ``np.uint64`` of canonical values. Operations broadcast like
NumPy's.

Everything is plain NumPy, no compiled kernel, so a verifier in a fresh process loads
and compiles nothing for it. The verifier's work is a few hundred elements per step
(one per query or opened leaf): one NumPy operation over all of them replaces a Python
loop of :class:`engine.field.scalar.Ext` operations. Products of two canonical values
are below ``P² < 2^62``, so up to four of them are summed before one reduction.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.field.babybear import P
from engine.field.ext4 import W
from engine.field.scalar import Ext

__all__ = ["add", "as_ext_array", "from_ext", "horner_at_base_points", "inverse", "mul",
           "mul_base", "sub", "to_ext"]

_P = np.uint64(P)
_W = np.uint64(W)


def as_ext_array(values) -> np.ndarray:
    """``(..., 4)`` canonical integers (e.g. uint32 openings) as ``np.uint64``."""
    return np.asarray(values, dtype=np.uint64)


def from_ext(values: Sequence[Ext] | Ext) -> np.ndarray:
    """``Ext`` values as a ``(k, 4)`` array (one ``Ext``: ``(4,)``)."""
    if isinstance(values, Ext):
        return np.array(values.coeffs, dtype=np.uint64)
    return np.array([v.coeffs for v in values], dtype=np.uint64).reshape(-1, 4)


def to_ext(value: np.ndarray) -> Ext:
    """One ``(4,)`` row as an ``Ext``."""
    return Ext(*map(int, value))


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + b) % _P


def sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + (_P - b)) % _P


def mul_base(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Extension ``a`` ``(..., 4)`` times base ``s`` ``(...)``."""
    return a * np.asarray(s, dtype=np.uint64)[..., None] % _P


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Extension product, broadcasting the leading axes."""
    a0, a1, a2, a3 = (a[..., i] for i in range(4))
    b0, b1, b2, b3 = (b[..., i] for i in range(4))
    c0 = (a0 * b0 + _W * ((a1 * b3 + a2 * b2 + a3 * b1) % _P)) % _P
    c1 = (a0 * b1 + a1 * b0 % _P + _W * ((a2 * b3 + a3 * b2) % _P)) % _P
    c2 = (a0 * b2 + a1 * b1 + a2 * b0 + _W * (a3 * b3 % _P)) % _P
    c3 = (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) % _P
    return np.stack([c0, c1, c2, c3], axis=-1)


def inverse(a: np.ndarray) -> np.ndarray:
    """Elementwise inverse of ``(k, 4)`` non-zero extension elements.

    With ``y = X²`` (``y² = W``), ``a = A + B·X`` for ``A = a0 + a2·y``,
    ``B = a1 + a3·y``; ``a·(A − B·X) = A² − B²·y = n0 + n1·y`` lies in the quadratic
    subfield, whose inverse is ``(n0 − n1·y)/(n0² − W·n1²)``: one base-field inversion
    per element. Raises ``ZeroDivisionError`` for a zero element.
    """
    a0, a1, a2, a3 = (a[..., i] for i in range(4))
    n0 = (a0 * a0 + _W * (a2 * a2 % _P) + (_P - 2 * _W * (a1 * a3 % _P) % _P)) % _P
    n1 = (2 * (a0 * a2 % _P) + 2 * _P - a1 * a1 % _P - _W * (a3 * a3 % _P) % _P) % _P
    d = (n0 * n0 % _P + _P - _W * (n1 * n1 % _P) % _P) % _P
    if np.any(d == 0):
        raise ZeroDivisionError("inverse of zero in the extension field")
    d_inv = np.array([pow(int(v), P - 2, P) for v in d.reshape(-1)],
                     dtype=np.uint64).reshape(d.shape)
    m0 = n0 * d_inv % _P
    m1 = (_P - n1) % _P * d_inv % _P
    c0 = (a0 * m0 + _W * (a2 * m1 % _P)) % _P
    c2 = (a0 * m1 + a2 * m0) % _P
    c1 = (_P - (a1 * m0 + _W * (a3 * m1 % _P)) % _P) % _P
    c3 = (_P - (a1 * m1 + a3 * m0) % _P) % _P
    return np.stack([c0, c1, c2, c3], axis=-1)


def horner_at_base_points(coeffs: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``Σ_i coeffs[i]·x^i`` at each base-field point: ``(m, 4)`` extension
    coefficients (low degree first), ``(k,)`` points -> ``(k, 4)``."""
    points = np.asarray(points, dtype=np.uint64)
    total = np.zeros(points.shape + (4,), dtype=np.uint64)
    for c in coeffs[::-1]:
        total = (mul_base(total, points) + c) % _P
    return total
