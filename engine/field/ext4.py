"""The quartic extension ``F_p[x] / (x^4 - W)`` of BabyBear with ``W = 11``.

Representation (a contract other modules rely on): an extension element is four
canonical base-field values ``(c0, c1, c2, c3)`` meaning ``c0 + c1·x + c2·x² + c3·x³``.
Arrays of extension elements are ``np.uint32`` with a trailing axis of length 4.

Two layers, as in :mod:`engine.field.babybear`:

* Scalar kernels ``e4_add, e4_sub, e4_mul, e4_mul_base, e4_inv, e4_pow`` are
  ``@njit`` functions for other Numba kernels, on 4-tuples of integers; they return
  4-tuples of ``np.uint64``. Like the base-field ones they are deliberately not
  cached on their own (see :mod:`engine.field.babybear`).
* Array functions ``ext_*`` validate their inputs, broadcast the leading axes like
  NumPy and run compiled row kernels.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.field.babybear import P, _P, addmod, as_field_array, invmod, mulmod, submod

# Source: Plonky3, baby-bear/src/extension.rs (BinomialExtensionData<4> for BabyBear:
# W = 11). x^4 - 11 is irreducible because p = 1 mod 4 and 11 is not a square mod p.
W: int = 11
DEGREE: int = 4
# x^p = W^((p-1)/4) · x, a primitive 4th root of unity: the Frobenius map scales c_i by
# FROBENIUS_ROOT^i.
FROBENIUS_ROOT: int = pow(W, (P - 1) // 4, P)

_W = np.uint64(W)


# --- Numba scalar kernels (4-tuples of np.uint64) -------------------------------------

@njit(nogil=True)
def e4_add(a, b):
    """Extension ``a + b`` on 4-tuples of canonical values; returns uint64 4-tuple."""
    return (addmod(a[0], b[0]), addmod(a[1], b[1]), addmod(a[2], b[2]),
            addmod(a[3], b[3]))


@njit(nogil=True)
def e4_sub(a, b):
    """Extension ``a - b`` on 4-tuples of canonical values; returns uint64 4-tuple."""
    return (submod(a[0], b[0]), submod(a[1], b[1]), submod(a[2], b[2]),
            submod(a[3], b[3]))


@njit(nogil=True)
def e4_mul(a, b):
    """Extension ``a * b`` on 4-tuples of canonical values; returns uint64 4-tuple.

    Products are below 2^62, so up to four of them can be summed before one reduction;
    the terms multiplied by W are reduced first.
    """
    a0, a1, a2, a3 = np.uint64(a[0]), np.uint64(a[1]), np.uint64(a[2]), np.uint64(a[3])
    b0, b1, b2, b3 = np.uint64(b[0]), np.uint64(b[1]), np.uint64(b[2]), np.uint64(b[3])
    h0 = (a1 * b3 + a2 * b2 + a3 * b1) % _P
    h1 = (a2 * b3 + a3 * b2) % _P
    h2 = (a3 * b3) % _P
    c0 = (a0 * b0 + _W * h0) % _P
    c1 = (a0 * b1 + a1 * b0 + _W * h1) % _P
    c2 = (a0 * b2 + a1 * b1 + a2 * b0 + _W * h2) % _P
    c3 = (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) % _P
    return (c0, c1, c2, c3)


@njit(nogil=True)
def e4_mul_base(a, s):
    """Extension ``a`` times base-field scalar ``s``; returns uint64 4-tuple."""
    return (mulmod(a[0], s), mulmod(a[1], s), mulmod(a[2], s), mulmod(a[3], s))


@njit(nogil=True)
def e4_inv(a):
    """Extension inverse; returns the zero tuple for zero (callers check for zero).

    Writes ``a = A(y) + x·B(y)`` with ``y = x²`` (so ``y² = W``). Then
    ``a·(A - x·B) = A² - y·B² = D`` lies in the quadratic subfield ``F_p[y]``, and
    ``a^-1 = (A - x·B)·D^-1`` with ``D^-1 = conj(D) / norm(D)``: one base inversion.
    """
    a0, a1, a2, a3 = np.uint64(a[0]), np.uint64(a[1]), np.uint64(a[2]), np.uint64(a[3])
    d0 = submod((a0 * a0 + _W * ((a2 * a2) % _P)) % _P,
                (np.uint64(2) * _W * ((a1 * a3) % _P)) % _P)
    d1 = submod((np.uint64(2) * a0 * a2) % _P, (a1 * a1 + _W * ((a3 * a3) % _P)) % _P)
    norm = submod((d0 * d0) % _P, (_W * ((d1 * d1) % _P)) % _P)
    n_inv = invmod(norm)
    e0 = mulmod(d0, n_inv)
    e1 = submod(0, mulmod(d1, n_inv))
    c0 = (a0 * e0 + _W * ((a2 * e1) % _P)) % _P
    c1 = submod(0, (a1 * e0 + _W * ((a3 * e1) % _P)) % _P)
    c2 = (a0 * e1 + a2 * e0) % _P
    c3 = submod(0, (a1 * e1 + a3 * e0) % _P)
    return (c0, c1, c2, c3)


@njit(nogil=True)
def e4_pow(a, e):
    """Extension ``a^e`` for ``0 <= e < 2^64`` by square-and-multiply; ``0^0 = 1``."""
    e = np.uint64(e)
    base = (np.uint64(a[0]), np.uint64(a[1]), np.uint64(a[2]), np.uint64(a[3]))
    acc = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
    while e != np.uint64(0):
        if e & np.uint64(1):
            acc = e4_mul(acc, base)
        base = e4_mul(base, base)
        e >>= np.uint64(1)
    return acc


# --- Row kernels: (n, 4) C-contiguous arrays in, (n, 4) out --------------------------
# (NumPy-side broadcasting feeds them. Numba's gufuncs would broadcast by themselves,
# but their cached wrappers break when two processes fill the cache at once.)

@njit(nogil=True)
def _load(a, i):
    return (a[i, 0], a[i, 1], a[i, 2], a[i, 3])


@njit(nogil=True)
def _store(out, i, c):
    out[i, 0], out[i, 1], out[i, 2], out[i, 3] = c[0], c[1], c[2], c[3]


@njit(nogil=True, cache=True)
def _add_rows(a, b, out):
    for i in range(out.shape[0]):
        _store(out, i, e4_add(_load(a, i), _load(b, i)))


@njit(nogil=True, cache=True)
def _sub_rows(a, b, out):
    for i in range(out.shape[0]):
        _store(out, i, e4_sub(_load(a, i), _load(b, i)))


@njit(nogil=True, cache=True)
def _mul_rows(a, b, out):
    for i in range(out.shape[0]):
        _store(out, i, e4_mul(_load(a, i), _load(b, i)))


@njit(nogil=True, cache=True)
def _mul_base_rows(a, s, out):
    for i in range(out.shape[0]):
        _store(out, i, e4_mul_base(_load(a, i), s[i]))


@njit(nogil=True, cache=True)
def _inv_rows(a, out):
    for i in range(out.shape[0]):
        _store(out, i, e4_inv(_load(a, i)))


@njit(nogil=True, cache=True)
def _pow_rows(a, e, out):
    for i in range(out.shape[0]):
        _store(out, i, e4_pow(_load(a, i), e))


@njit(nogil=True, cache=True)
def _scale_coeffs_rows(a, scale, out):
    for i in range(out.shape[0]):
        for d in range(4):
            out[i, d] = mulmod(a[i, d], scale[d])


def _rows(x: np.ndarray, shape: tuple) -> np.ndarray:
    """``x`` broadcast to ``shape + (4,)`` as an (n, 4) C-contiguous writeable array.

    Writeable and contiguous always, so each kernel sees one argument type (one
    compilation, one cache entry); copies only when ``x`` is not already like that.
    """
    if x.shape[:-1] != shape:
        x = np.broadcast_to(x, shape + (DEGREE,))
    return np.require(x, np.uint32, ["C", "W"]).reshape(-1, DEGREE)


def _binary(kernel, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    out = np.empty(shape + (DEGREE,), dtype=np.uint32)
    kernel(_rows(a, shape), _rows(b, shape), out.reshape(-1, DEGREE))
    return out


def _unary(kernel, a: np.ndarray, *args) -> np.ndarray:
    out = np.empty(a.shape, dtype=np.uint32)
    kernel(_rows(a, a.shape[:-1]), *args, out.reshape(-1, DEGREE))
    return out


# --- Array operations -------------------------------------------------------------------

def as_ext_array(values) -> np.ndarray:
    """Return ``values`` as a ``np.uint32`` array of shape ``(..., 4)`` of canonical values.

    Raises ``ValueError`` if the last axis is not 4 long or a value is out of range,
    ``TypeError`` for non-integer data.
    """
    arr = as_field_array(values)
    if arr.ndim == 0 or arr.shape[-1] != DEGREE:
        raise ValueError(f"extension elements need a trailing axis of length 4, "
                         f"got shape {arr.shape}")
    return arr


def ext_add(a, b) -> np.ndarray:
    """Elementwise ``a + b`` of ``(..., 4)`` arrays (leading axes broadcast)."""
    return _binary(_add_rows, as_ext_array(a), as_ext_array(b))


def ext_sub(a, b) -> np.ndarray:
    """Elementwise ``a - b`` of ``(..., 4)`` arrays (leading axes broadcast)."""
    return _binary(_sub_rows, as_ext_array(a), as_ext_array(b))


def ext_mul(a, b) -> np.ndarray:
    """Elementwise ``a * b`` of ``(..., 4)`` arrays (leading axes broadcast)."""
    return _binary(_mul_rows, as_ext_array(a), as_ext_array(b))


def ext_neg(a) -> np.ndarray:
    """Elementwise ``-a`` of a ``(..., 4)`` array."""
    return _binary(_sub_rows, np.zeros(DEGREE, dtype=np.uint32), as_ext_array(a))


def ext_mul_base(a_ext, b_base) -> np.ndarray:
    """Extension ``a_ext`` (shape ``(..., 4)``) times base ``b_base`` (shape ``(...)``).

    The leading axes of ``a_ext`` broadcast against the shape of ``b_base``.
    """
    a = as_ext_array(a_ext)
    b = as_field_array(b_base)
    shape = np.broadcast_shapes(a.shape[:-1], b.shape)
    scalars = np.require(np.broadcast_to(b, shape), np.uint32, ["C", "W"]).reshape(-1)
    out = np.empty(shape + (DEGREE,), dtype=np.uint32)
    _mul_base_rows(_rows(a, shape), scalars, out.reshape(-1, DEGREE))
    return out


def ext_from_base(a) -> np.ndarray:
    """Embed base-field elements of shape ``S`` as extension elements of shape ``S + (4,)``."""
    arr = as_field_array(a)
    out = np.zeros(arr.shape + (DEGREE,), dtype=np.uint32)
    out[..., 0] = arr
    return out


def ext_inv(a) -> np.ndarray:
    """Elementwise inverse of a ``(..., 4)`` array.

    Raises ``ZeroDivisionError`` if any element is zero (all four coefficients zero).
    """
    arr = as_ext_array(a)
    if np.any(np.all(arr == 0, axis=-1)):
        raise ZeroDivisionError("inverse of zero in the BabyBear quartic extension")
    return _unary(_inv_rows, arr)


def ext_pow(a, e: int) -> np.ndarray:
    """Elementwise ``a^e`` for one integer exponent of any size or sign; ``0^0 = 1``.

    A negative ``e`` inverts first and raises ``ZeroDivisionError`` on a zero element.
    """
    arr = as_ext_array(a)
    e = int(e)
    if e < 0:
        return ext_pow(ext_inv(arr), -e)
    if e == 0:
        return ext_from_base(np.ones(arr.shape[:-1], dtype=np.uint32))
    # The multiplicative group has order p^4 - 1; keep e positive so 0^e stays 0.
    e = (e - 1) % (P ** DEGREE - 1) + 1
    # The kernel takes a 64-bit exponent: a^e = (a^(2^64))^hi · a^lo.
    hi, lo = divmod(e, 1 << 64)
    low_part = _unary(_pow_rows, arr, np.uint64(lo))
    if hi == 0:
        return low_part
    a_2_32 = _unary(_pow_rows, arr, np.uint64(1 << 32))
    a_2_64 = _unary(_pow_rows, a_2_32, np.uint64(1 << 32))
    return ext_mul(ext_pow(a_2_64, hi), low_part)


def ext_frobenius(a, k: int = 1) -> np.ndarray:
    """Apply the Frobenius map ``a -> a^(p^k)`` to a ``(..., 4)`` array.

    ``a^(p^k) = sum c_i·(x^(p^k))^i`` and ``x^(p^k) = FROBENIUS_ROOT^k·x``, so each
    coefficient ``c_i`` is scaled by ``FROBENIUS_ROOT^(i·k)``. ``k`` is taken mod 4.
    """
    arr = as_ext_array(a)
    scale = np.array([pow(FROBENIUS_ROOT, i * k, P) for i in range(DEGREE)],
                     dtype=np.uint32)
    return _unary(_scale_coeffs_rows, arr, scale)
