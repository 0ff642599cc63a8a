"""Selector polynomials for a trace with random (zero-knowledge) last rows, and the
degree of the quotient they lead to.

With ``H = 2^k`` rows, ``R = H - zk_rows`` real rows and ``ω`` generating the trace
domain (``ω = two_adic_generator(k)``, row ``r`` sits at ``ω^r``):

* ``FIRST``: ``L_0(x) = (x^H - 1) / (H·(x - 1))``, 1 at row 0, 0 at every other row;
* ``LAST``: ``L_{R-1}(x) = ω^(R-1)·(x^H - 1) / (H·(x - ω^(R-1)))``;
* ``TRANSITION``: ``prod_{j=R-1}^{H-1} (x - ω^j)``, zero exactly on the rows whose
  successor is random (and on the last real row);
* ``EVERY``: ``prod_{j=R}^{H-1} (x - ω^j)``, zero exactly on the random rows.

``sel(x)·C(x)`` vanishes on the whole trace domain when ``C`` holds on the selected
rows, so ``sum_i alpha^i sel_i(x) C_i(x)`` is divisible by ``Z_H(x) = x^H - 1``.
Selectors of the last two kinds are not 1 on their rows, only non-zero, which is all
the quotient needs.
"""
from __future__ import annotations

import weakref

import numpy as np
from numba import njit, prange

from engine.field.babybear import (
    P,
    bb_inv,
    bb_mul,
    bb_powers,
    bb_sub,
    invmod,
    mulmod,
    powmod,
    submod,
    two_adic_generator,
)
from engine.poly.ntt import coset_ntt
from engine.stark.air import Selector, TraceShape


def selector_vectors(shift: int, log_n: int, shape: TraceShape) -> np.ndarray:
    """Selector values on the coset ``shift·<g>`` of size ``N = 2^log_n``.

    Point ``i`` is ``shift·g^i`` with ``g = two_adic_generator(log_n)`` (natural
    order). Returns ``(4, N)`` uint32, row ``s`` for ``Selector(s)``. Raises
    ``ValueError`` if the coset meets the trace domain (``Z_H`` would vanish there).
    """
    period = _vanishing_period(shift, log_n, shape.height)
    return _selectors(shift, log_n, shape, period, np.ones(period.size, dtype=np.uint32))


def quotient_selectors(shift: int, log_n: int, shape: TraceShape) -> np.ndarray:
    """:func:`selector_vectors` divided by ``Z_H(x) = x^H − 1``: ``(4, N)`` uint32.

    With these the constraint kernel yields ``Q = N / Z_H`` directly. ``Z_H`` takes
    only ``N / H`` values on the coset (``x^H = shift^H·(g^H)^i``), so that costs
    ``N / H`` inversions. Same errors as :func:`selector_vectors`.
    """
    period = _vanishing_period(shift, log_n, shape.height)
    return _selectors(shift, log_n, shape, np.ones(period.size, dtype=np.uint32),
                      bb_inv(period))


def vanishing_on_coset(shift: int, log_n: int, height: int) -> np.ndarray:
    """``Z_H(x) = x^H - 1`` at the points ``shift·g^i`` of a coset of size
    ``N = 2^log_n``: ``(N,)`` uint32 (periodic with period ``N / H``), what the prover
    divides the quotient numerator by. Raises ``ValueError`` if a value is zero (the
    coset meets the trace domain).
    """
    period = _vanishing_period(shift, log_n, height)
    return np.tile(period, (1 << log_n) // period.size)


def _vanishing_period(shift: int, log_n: int, height: int) -> np.ndarray:
    """``Z_H`` at the first ``max(1, N / H)`` points of the coset: one period."""
    n, g, shift = 1 << log_n, two_adic_generator(log_n), int(shift) % P
    # x^H = shift^H · (g^H)^i, and g^H has order N / H.
    count = max(1, n // height)
    x_pow_h = bb_mul(bb_powers(pow(g, height, P), count), np.uint32(pow(shift, height, P)))
    z_h = bb_sub(x_pow_h, np.uint32(1))
    if np.any(z_h == 0):
        raise ValueError("the evaluation coset meets the trace domain: choose a shift "
                         "outside the subgroup of order H")
    return z_h


def selectors_at_point(zeta, shape: TraceShape) -> tuple:
    """The four selector values at one point ``zeta`` (an ``Ext`` or ``Fp``), in
    :class:`Selector` order. Raises ``ValueError`` if ``zeta`` lies in the trace domain.
    """
    h = shape.height
    omega = two_adic_generator(shape.log_height)
    last = pow(omega, shape.real_rows - 1, P)
    z_h = zeta ** h - 1
    if not z_h:
        raise ValueError("the point lies in the trace domain")
    first_sel = z_h / ((zeta - 1) * h)
    last_sel = z_h * last / ((zeta - last) * h)
    every = zeta ** 0
    for j in range(shape.real_rows, h):
        every = every * (zeta - pow(omega, j, P))
    return first_sel, last_sel, every * (zeta - last), every


def selector_degree(when: Selector, shape: TraceShape) -> int:
    """Degree of the selector polynomial of kind ``when``."""
    if when in (Selector.FIRST, Selector.LAST):
        return shape.height - 1
    return shape.zk_rows + (1 if when == Selector.TRANSITION else 0)


def quotient_degree(air, shape: TraceShape) -> int:
    """Degree bound of ``Q = sum_i alpha^i sel_i C_i / Z_H`` for ``air``'s constraints.

    A trace column has degree ``H - 1``, so ``C_i`` has degree ``deg_i·(H - 1)``. The
    evaluation domain must have more than ``quotient_degree + H`` points (the
    numerator's degree); with degree-3 constraints that is ``4H - 3``, i.e. blowup 4.
    """
    h = shape.height
    numerator = max((selector_degree(when, shape) + degree * (h - 1)
                     for when, degree in _constraint_kinds(air)), default=0)
    return max(numerator - h, 0)


_kinds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _constraint_kinds(air) -> frozenset:
    """The distinct (selector, degree) pairs of ``air``'s constraints, once per AIR."""
    kinds = _kinds.get(air)
    if kinds is None:
        kinds = frozenset((c.when, c.degree) for c in air.constraints)
        _kinds[air] = kinds
    return kinds


def quotient_chunks(air, shape: TraceShape) -> int:
    """How many polynomials of degree < H the quotient splits into (3 for degree-3
    constraints)."""
    return max(1, -(-(quotient_degree(air, shape) + 1) // shape.height))


def _selectors(shift: int, log_n: int, shape: TraceShape, first_last_factor: np.ndarray,
               every_factor: np.ndarray) -> np.ndarray:
    """The four selectors at ``shift·g^i``, ``FIRST``/``LAST`` times
    ``first_last_factor[i mod B]`` and ``EVERY``/``TRANSITION`` times
    ``every_factor[i mod B]`` (``B`` = the factors' length, a period of ``Z_H``)."""
    n, h = 1 << log_n, shape.height
    shift = int(shift) % P
    omega = two_adic_generator(shape.log_height)
    last = pow(omega, shape.real_rows - 1, P)
    inv_h = pow(h, P - 2, P)
    # EVERY has degree zk_rows: its coefficients once, then one NTT over the coset,
    # instead of a zk_rows-factor product at each of the N points.
    every = _coset_values(exemption_coefficients(shape), shift, log_n)
    out = np.empty((4, n), dtype=np.uint32)
    g = two_adic_generator(log_n)
    _selectors_kernel(np.uint64(shift), np.uint64(g), np.uint64(pow(g, P - 2, P)), every,
                      np.uint64(last), np.uint64(inv_h), np.uint64(last * inv_h % P),
                      first_last_factor, every_factor, out)
    return out


def exemption_coefficients(shape: TraceShape) -> np.ndarray:
    """Coefficients of ``EVERY(x) = prod_{j=R}^{H-1} (x - ω^j)``, low degree first:
    ``(zk_rows + 1,)`` uint32 (the vanishing polynomial of the random rows)."""
    omega = two_adic_generator(shape.log_height)
    coeffs = np.zeros(shape.zk_rows + 1, dtype=np.uint64)
    coeffs[0] = 1
    root = pow(omega, shape.real_rows, P)
    for degree in range(shape.zk_rows):
        # (c_0 + ... + c_d x^d)·(x − root): shift up, subtract root·c.
        shifted = np.concatenate(([0], coeffs[:degree + 1]))
        coeffs[:degree + 2] = (shifted + P - coeffs[:degree + 2] * np.uint64(root) % P) % P
        root = root * omega % P
    return coeffs.astype(np.uint32)


def _coset_values(coeffs: np.ndarray, shift: int, log_n: int) -> np.ndarray:
    """A polynomial given by ``coeffs`` at the ``2^log_n`` points ``shift·g^i``."""
    n = 1 << log_n
    size = 1 << max(0, (coeffs.size - 1).bit_length())
    if size > n:
        # On the coset x^N = shift^N: fold the coefficients down to N of them.
        folded = np.zeros(n, dtype=np.uint64)
        factor = pow(shift, n, P)
        for start in range(0, coeffs.size, n):
            block = coeffs[start:start + n].astype(np.uint64)
            folded[:block.size] = (folded[:block.size]
                                   + block * np.uint64(pow(factor, start // n, P)) % P) % P
        return coset_ntt(folded.astype(np.uint32), shift)
    padded = np.zeros(size, dtype=np.uint32)
    padded[:coeffs.size] = coeffs
    return coset_ntt(padded, shift, log_n - (size.bit_length() - 1))


# Points per parallel task: one batch inversion (an exponentiation) per task.
_SELECTOR_CHUNK = 1024


@njit(nogil=True, cache=True, parallel=True)
def _selectors_kernel(shift, g, g_inv, every, last, inv_h, last_inv_h, first_last_factor,
                      every_factor, out):
    # FIRST = Z_H/(H(x − 1)) and LAST = last·Z_H/(H(x − last)): Montgomery's trick on
    # both denominators per chunk, one inversion each.
    n = every.size
    period = first_last_factor.size
    for chunk in prange((n + _SELECTOR_CHUNK - 1) // _SELECTOR_CHUNK):
        lo = chunk * _SELECTOR_CHUNK
        hi = min(n, lo + _SELECTOR_CHUNK)
        x0 = mulmod(shift, powmod(g, np.uint64(lo)))
        x = x0
        acc_first = np.uint64(1)
        acc_last = np.uint64(1)
        for i in range(lo, hi):
            out[0, i] = acc_first
            out[1, i] = acc_last
            acc_first = mulmod(acc_first, submod(x, np.uint64(1)))
            acc_last = mulmod(acc_last, submod(x, last))
            x = mulmod(x, g)
        inv_first = invmod(acc_first)
        inv_last = invmod(acc_last)
        x_hi = x
        for i in range(hi - 1, lo - 1, -1):
            x_hi = mulmod(x_hi, g_inv)
            d_first = submod(x_hi, np.uint64(1))
            d_last = submod(x_hi, last)
            r = i % period
            factor = np.uint64(first_last_factor[r])
            out[0, i] = mulmod(mulmod(mulmod(inv_first, out[0, i]), inv_h), factor)
            out[1, i] = mulmod(mulmod(mulmod(inv_last, out[1, i]), last_inv_h), factor)
            inv_first = mulmod(inv_first, d_first)
            inv_last = mulmod(inv_last, d_last)
            e = mulmod(every[i], every_factor[r])
            out[3, i] = e
            out[2, i] = mulmod(e, d_last)
