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

import numpy as np
from numba import njit, prange

from engine.field.babybear import (
    P,
    bb_batch_inv,
    bb_mul,
    bb_powers,
    bb_sub,
    mulmod,
    submod,
    two_adic_generator,
)
from engine.stark.air import Selector, TraceShape


def selector_vectors(shift: int, log_n: int, shape: TraceShape) -> np.ndarray:
    """Selector values on the coset ``shift·<g>`` of size ``N = 2^log_n``.

    Point ``i`` is ``shift·g^i`` with ``g = two_adic_generator(log_n)`` (natural
    order). Returns ``(4, N)`` uint32, row ``s`` for ``Selector(s)``. Raises
    ``ValueError`` if the coset meets the trace domain (``Z_H`` would vanish there).
    """
    n, h = 1 << log_n, shape.height
    shift = int(shift) % P
    x = bb_mul(bb_powers(two_adic_generator(log_n), n), np.uint32(shift))
    z_h = vanishing_on_coset(shift, log_n, h)
    omega = two_adic_generator(shape.log_height)
    last = pow(omega, shape.real_rows - 1, P)
    inv_h = pow(h, P - 2, P)
    out = np.empty((4, n), dtype=np.uint32)
    out[Selector.FIRST] = bb_mul(bb_mul(z_h, bb_batch_inv(bb_sub(x, np.uint32(1)))),
                                 np.uint32(inv_h))
    out[Selector.LAST] = bb_mul(bb_mul(z_h, bb_batch_inv(bb_sub(x, np.uint32(last)))),
                                np.uint32(last * inv_h % P))
    exempt = np.array([pow(omega, j, P) for j in range(shape.real_rows, h)],
                      dtype=np.uint32)
    out[Selector.EVERY] = _vanishing_on(x, exempt)
    out[Selector.TRANSITION] = bb_mul(out[Selector.EVERY], bb_sub(x, np.uint32(last)))
    return out


def vanishing_on_coset(shift: int, log_n: int, height: int) -> np.ndarray:
    """``Z_H(x) = x^H - 1`` at the points ``shift·g^i`` of a coset of size
    ``N = 2^log_n``: ``(N,)`` uint32 (periodic with period ``N / H``), what the prover
    divides the quotient numerator by. Raises ``ValueError`` if a value is zero (the
    coset meets the trace domain).
    """
    n, g, shift = 1 << log_n, two_adic_generator(log_n), int(shift) % P
    # x^H = shift^H · (g^H)^i: powers of one element instead of N exponentiations.
    x_pow_h = bb_mul(bb_powers(pow(g, height, P), n), np.uint32(pow(shift, height, P)))
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
    numerator = max((selector_degree(c.when, shape) + c.degree * (h - 1)
                     for c in air.constraints), default=0)
    return max(numerator - h, 0)


def quotient_chunks(air, shape: TraceShape) -> int:
    """How many polynomials of degree < H the quotient splits into (3 for degree-3
    constraints)."""
    return max(1, -(-(quotient_degree(air, shape) + 1) // shape.height))


@njit(nogil=True, cache=True, parallel=True)
def _vanishing_on_kernel(x, roots, out):
    for i in prange(x.size):
        acc = np.uint64(1)
        xi = np.uint64(x[i])
        for k in range(roots.size):
            acc = mulmod(acc, submod(xi, roots[k]))
        out[i] = acc


def _vanishing_on(x: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """``prod_k (x_i - roots_k)`` for every ``i``: ``(N,)`` uint32."""
    out = np.empty(x.size, dtype=np.uint32)
    _vanishing_on_kernel(x, roots, out)
    return out
