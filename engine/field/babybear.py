"""The BabyBear prime field: protocol constants, Numba scalar kernels, array operations.

Representation (a contract other modules rely on): a field element is its canonical
value in ``[0, P)``; arrays of field elements are ``np.uint32``. Every function here
takes and returns canonical values only.

Two layers:

* Scalar kernels ``addmod, submod, mulmod, powmod, invmod`` are ``@njit`` functions
  meant to be called from other Numba kernels. They accept any integer scalars
  holding canonical values and return ``np.uint64`` (do arithmetic on their results
  with ``np.uint64`` operands: Numba types ``uint64 op int64`` as ``int64``).
  They are not cached on their own (``cache=True``): a calling kernel's cache entry
  holds their code anyway, and Numba's cache index is not safe when several
  processes add different signatures of one function at once (one process's index
  entry can end up naming another signature's machine code: a segfault on load).
  Helpers called with many argument types are exactly that case.
* Array functions ``bb_*`` validate their inputs in Python and run compiled ufuncs.
  Their ufunc loops never touch Python objects, so NumPy releases the GIL in them.
"""
from __future__ import annotations

import os

import numpy as np
from numba import njit, vectorize

# --- Protocol constants -----------------------------------------------------------
# Source: Plonky3, baby-bear/src/baby_bear.rs (BabyBearParameters: PRIME = 0x78000001,
# MONTY_GEN = 31, TWO_ADICITY = 27, TWO_ADIC_GENERATORS[27] = 0x1a427a41).
P: int = 0x78000001                     # 2^31 - 2^27 + 1
GENERATOR: int = 31                      # generates the multiplicative group F_p^*
TWO_ADICITY: int = 27                    # largest k with 2^k | p - 1
TWO_ADIC_ROOT: int = 0x1A427A41          # GENERATOR^((p-1) / 2^27), order exactly 2^27

# Numba freezes globals as constants; plain Python ints would be typed int64 and turn
# uint64 arithmetic into int64 arithmetic, so kernels use these.
_P = np.uint64(P)
_PM2 = np.uint64(P - 2)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


def two_adic_generator(log_n: int) -> int:
    """Return the generator of the multiplicative subgroup of order ``2^log_n``.

    The generators are consistent: ``two_adic_generator(k + 1) ** 2 ==
    two_adic_generator(k)``, so the subgroup of order ``2^k`` is the set of squares of
    the one of order ``2^(k+1)``. Raises ``ValueError`` unless ``0 <= log_n <= 27``.
    """
    if not 0 <= log_n <= TWO_ADICITY:
        raise ValueError(f"no subgroup of order 2^{log_n} in BabyBear "
                         f"(two-adicity is {TWO_ADICITY})")
    return pow(TWO_ADIC_ROOT, 1 << (TWO_ADICITY - log_n), P)


# --- Numba scalar kernels -----------------------------------------------------------

@njit(nogil=True)
def addmod(a, b):
    """``(a + b) mod P`` for canonical ``a, b``; returns ``np.uint64``."""
    s = np.uint64(a) + np.uint64(b)
    return s - _P if s >= _P else s


@njit(nogil=True)
def submod(a, b):
    """``(a - b) mod P`` for canonical ``a, b``; returns ``np.uint64``."""
    d = np.uint64(a) + _P - np.uint64(b)
    return d - _P if d >= _P else d


@njit(nogil=True)
def mulmod(a, b):
    """``(a * b) mod P`` for canonical ``a, b``; returns ``np.uint64``.

    The product is below 2^62; LLVM turns the constant modulus into a multiply-high
    and shifts, which measured as fast as hand-written Barrett reduction.
    """
    return (np.uint64(a) * np.uint64(b)) % _P


@njit(nogil=True)
def powmod(a, e):
    """``a^e mod P`` for canonical ``a`` and ``0 <= e < 2^64``; ``0^0 = 1``."""
    base = np.uint64(a)
    e = np.uint64(e)
    acc = _ONE
    while e != _ZERO:
        if e & _ONE:
            acc = (acc * base) % _P
        base = (base * base) % _P
        e >>= _ONE
    return acc


@njit(nogil=True)
def invmod(a):
    """``a^-1 mod P`` by Fermat's little theorem; ``invmod(0)`` returns 0.

    Kernels cannot raise cheaply, so callers that may meet zero check for it (the
    array functions below raise ``ZeroDivisionError``).
    """
    return powmod(a, _PM2)


# --- Ufuncs (compiled loops over the scalar kernels) -------------------------------

@vectorize(["uint32(uint32, uint32)"], nopython=True, cache=True)
def _add_ufunc(a, b):
    return addmod(a, b)


@vectorize(["uint32(uint32, uint32)"], nopython=True, cache=True)
def _sub_ufunc(a, b):
    return submod(a, b)


@vectorize(["uint32(uint32, uint32)"], nopython=True, cache=True)
def _mul_ufunc(a, b):
    return mulmod(a, b)


@vectorize(["uint32(uint32, uint64)"], nopython=True, cache=True)
def _pow_ufunc(a, e):
    return powmod(a, e)


# --- Validation -----------------------------------------------------------------------

def as_field_array(values) -> np.ndarray:
    """Return ``values`` as a ``np.uint32`` array of canonical field elements.

    Accepts Python ints, sequences and integer arrays; a ``np.uint32`` array is returned
    as is (no copy). Raises ``TypeError`` for non-integer data and ``ValueError`` if an
    element lies outside ``[0, P)`` (use :func:`reduce_to_field` to reduce first).
    """
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.uint32)
    if arr.dtype == np.uint32:  # the common case: one pass, no copy
        if arr.max() >= P:
            raise ValueError("field element out of range: BabyBear values lie in [0, P)")
        return arr
    if arr.dtype == object:
        if not all(isinstance(v, (int, np.integer)) for v in arr.flat):
            raise TypeError("field elements must be integers")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"field elements must be integers, not {arr.dtype}")
    if arr.min() < 0 or arr.max() >= P:
        raise ValueError("field element out of range: BabyBear values lie in [0, P)")
    return arr.astype(np.uint32)


def reduce_to_field(values) -> np.ndarray:
    """Reduce arbitrary integers (negative or huge ones too) modulo ``P``.

    Returns a new ``np.uint32`` array. Raises ``TypeError`` for non-integer data.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "ub":
        return np.mod(arr, np.uint64(P)).astype(np.uint32)
    if arr.dtype.kind == "i":
        return np.mod(arr.astype(np.int64), P).astype(np.uint32)
    if arr.dtype == object and all(isinstance(v, (int, np.integer)) for v in arr.flat):
        return np.array([int(v) % P for v in arr.flat], dtype=np.uint32).reshape(arr.shape)
    raise TypeError(f"field elements must be integers, not {arr.dtype}")


# --- Array operations ------------------------------------------------------------------

def bb_add(a, b) -> np.ndarray:
    """Elementwise ``a + b`` over BabyBear; NumPy broadcasting; returns ``np.uint32``."""
    return _add_ufunc(as_field_array(a), as_field_array(b))


def bb_sub(a, b) -> np.ndarray:
    """Elementwise ``a - b`` over BabyBear; NumPy broadcasting; returns ``np.uint32``."""
    return _sub_ufunc(as_field_array(a), as_field_array(b))


def bb_mul(a, b) -> np.ndarray:
    """Elementwise ``a * b`` over BabyBear; NumPy broadcasting; returns ``np.uint32``."""
    return _mul_ufunc(as_field_array(a), as_field_array(b))


def bb_neg(a) -> np.ndarray:
    """Elementwise ``-a`` over BabyBear; returns a new ``np.uint32`` array."""
    return _sub_ufunc(np.uint32(0), as_field_array(a))


def bb_pow(a, e: int) -> np.ndarray:
    """Elementwise ``a^e`` for one integer exponent ``e`` of any size or sign.

    ``0^0 = 1``. A negative ``e`` means ``(a^-1)^|e|`` and raises ``ZeroDivisionError``
    if any element is zero.
    """
    arr = as_field_array(a)
    e = int(e)
    if e < 0:
        return bb_pow(bb_inv(arr), -e)
    if e == 0:
        return np.ones(arr.shape, dtype=np.uint32)
    # a^e = a^(e mod (p-1)) for a != 0; keep a positive exponent so that 0^e stays 0.
    e = (e - 1) % (P - 1) + 1
    return _pow_ufunc(arr, np.uint64(e))


def bb_inv(a) -> np.ndarray:
    """Elementwise inverse ``a^-1``; returns ``np.uint32``.

    Raises ``ZeroDivisionError`` if any element is zero. For many elements
    :func:`bb_batch_inv` is several times faster.
    """
    arr = as_field_array(a)
    if np.any(arr == 0):
        raise ZeroDivisionError("inverse of zero in BabyBear")
    return _pow_ufunc(arr, np.uint64(P - 2))


def bb_batch_inv(a) -> np.ndarray:
    """Elementwise inverse by Montgomery's trick: one exponentiation, 3 products each.

    Same result and errors as :func:`bb_inv` (``ZeroDivisionError`` on any zero).
    """
    arr = as_field_array(a)
    if np.any(arr == 0):
        raise ZeroDivisionError("inverse of zero in BabyBear")
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = np.empty_like(flat)
    if flat.size:
        _batch_inv_kernel(flat, out)
    return out.reshape(arr.shape)


def bb_powers(base: int, n: int) -> np.ndarray:
    """Return ``[1, base, base^2, ..., base^(n-1)]`` as a ``np.uint32`` array of length n."""
    base = int(as_field_array(base))
    if n < 0:
        raise ValueError("the number of powers cannot be negative")
    out = np.empty(n, dtype=np.uint32)
    _powers_kernel(np.uint64(base), out)
    return out


def bb_random(rng: np.random.Generator | None, shape) -> np.ndarray:
    """Uniformly random field elements of the given shape, as ``np.uint32``.

    With ``rng=None`` the bytes come from ``os.urandom`` (the operating system's
    cryptographically secure source): use that for anything a proof's secrecy or
    soundness depends on. A ``numpy.random.Generator`` gives reproducible values for
    tests and benchmarks only.
    """
    if rng is not None:
        return rng.integers(0, P, size=shape, dtype=np.uint32)
    count = int(np.prod(shape, dtype=np.int64))
    out = np.empty(count, dtype=np.uint32)
    filled = 0
    while filled < count:
        # Rejection sampling on 31-bit words: 15/16 of them are below P.
        want = count - filled
        words = np.frombuffer(os.urandom(4 * (want + want // 8 + 8)), dtype=np.uint32)
        words = words & np.uint32(0x7FFFFFFF)
        good = words[words < P][:want]
        out[filled:filled + good.size] = good
        filled += good.size
    return out.reshape(shape)


# --- Kernels behind the array functions ------------------------------------------------

@njit(nogil=True, cache=True)
def _batch_inv_kernel(a, out):
    # out[i] holds the prefix product a[0]..a[i-1] on the way up, the inverse on the way down.
    acc = _ONE
    for i in range(a.size):
        out[i] = acc
        acc = mulmod(acc, a[i])
    inv = invmod(acc)
    for i in range(a.size - 1, -1, -1):
        ai = np.uint64(a[i])
        out[i] = mulmod(inv, out[i])
        inv = mulmod(inv, ai)


@njit(nogil=True, cache=True)
def _powers_kernel(base, out):
    # A serial chain waits on each product; after the first block, every block is the
    # first one times one constant, and those products are independent.
    first = max(1, min(out.size, 1024))
    acc = _ONE
    for i in range(min(first, out.size)):
        out[i] = acc
        acc = mulmod(acc, base)
    step = acc
    for start in range(first, out.size, first):
        for i in range(min(first, out.size - start)):
            out[start + i] = mulmod(out[start - first + i], step)
