"""FRI folding: the prover's Numba kernel over a whole codeword, the verifier's per-leaf fold.

Ordering (a contract with :mod:`engine.stark.fri`): a codeword of size ``N`` lists the
values of a polynomial ``f`` over the coset ``s·H_N`` in natural order, entry ``j``
at ``x_j = s·ω_N^j``. Because ``ω_N^(N/2) = −1``, entries ``j`` and ``j + N/2`` sit at
``x_j`` and ``−x_j``; writing ``f(X) = f_e(X²) + X·f_o(X²)``, one binary fold with
challenge ``β`` gives

    f'(x_j²) = f_e(x_j²) + β·f_o(x_j²)
             = (f(x_j) + f(−x_j))/2 + β·(f(x_j) − f(−x_j))/(2·x_j),

a codeword of size ``N/2`` over ``s²·H_(N/2)``, again in natural order. Folding by
arity ``a = 2^k`` is ``k`` binary folds with ``β, β², β⁴, ...``: with
``f = Σ_(r<a) X^r·f_r(X^a)`` the result is ``Σ_r β^r·f_r``. The ``a`` entries that
fold into entry ``j`` are ``j + t·N/a`` (``t < a``), at ``x_j·ω_a^t``: those form one
Merkle leaf, so the verifier folds one opened leaf per query and layer without
knowing anything about the rest of the codeword.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.field.babybear import P, bb_mul, bb_powers, two_adic_generator
from engine.field.ext4 import e4_add, e4_mul, e4_mul_base, e4_sub
from engine.field.scalar import Ext
from engine.stark import ext_arrays

__all__ = ["PARALLEL_MIN_HALF", "fold_codeword", "fold_leaves"]

_INV2 = (P + 1) // 2
_P64 = np.uint64(P)

#: Folds producing at least this many values run on all cores; below it, starting
#: the threads costs more than the arithmetic (a 2^15-value fold takes ~0.6 ms).
PARALLEL_MIN_HALF = 1 << 15


def fold_codeword(codeword: np.ndarray, log_arity: int, beta: tuple[int, int, int, int],
                  shift: int) -> np.ndarray:
    """Fold an extension codeword by ``2^log_arity`` with challenge ``beta``.

    ``codeword``: (N, 4) canonical uint32 over ``shift·H_N`` in natural order, N a
    power of two ≥ ``2^log_arity``. Returns a new (N / 2^log_arity, 4) uint32 array
    over ``shift^(2^log_arity)·H_(N/2^log_arity)``. Raises ``ValueError`` on shapes.
    """
    values = np.ascontiguousarray(codeword, dtype=np.uint32)
    n = values.shape[0]
    if values.ndim != 2 or values.shape[1] != 4 or n & (n - 1) or n >> log_arity == 0:
        raise ValueError(f"cannot fold a codeword of shape {codeword.shape} by 2^{log_arity}")
    challenge = Ext(*beta)
    for _ in range(log_arity):
        half = values.shape[0] // 2
        inv_root = pow(two_adic_generator(half.bit_length()), P - 2, P)
        # (x_j)^-1 / 2 for j < N/2: the division by 2x of the odd part, once per entry.
        inv_points_half = bb_mul(bb_powers(inv_root, half), pow(shift, P - 2, P) * _INV2 % P)
        folded = np.empty((half, 4), dtype=np.uint32)
        kernel = _fold_parallel if half >= PARALLEL_MIN_HALF else _fold_serial
        kernel(values, np.array(challenge.coeffs, dtype=np.uint64), inv_points_half, folded)
        values = folded
        challenge = challenge * challenge
        shift = shift * shift % P
    return values


def fold_leaves(leaves: np.ndarray, beta: np.ndarray, inv_points: np.ndarray) -> np.ndarray:
    """Fold opened leaves, as the verifier does: NumPy over all leaves at once.

    ``leaves``: ``(L, a, 4)`` canonical values (``a`` a power of two), leaf ``l``
    holding the values at ``x_l·ω_a^t``, ``t < a``; ``beta``: the challenge, ``(4,)``;
    ``inv_points``: ``(L,)`` the inverses ``1/x_l`` of the leaves' first points.
    Returns ``(L, 4)`` uint64: each leaf folded to its value at ``x_l^a``. Same
    arithmetic as :func:`fold_codeword`, with no compiled kernel (see
    :mod:`engine.stark.ext_arrays`).
    """
    values = np.asarray(leaves, dtype=np.uint64)
    challenge = np.asarray(beta, dtype=np.uint64)
    inv_point = np.asarray(inv_points, dtype=np.uint64)
    while values.shape[1] > 1:
        half = values.shape[1] // 2
        inv_root = pow(two_adic_generator(half.bit_length()), P - 2, P)
        # 1/(2·x_l·ω^t) for t < half: the odd part's divisor.
        inv_roots_half = np.array([pow(inv_root, t, P) * _INV2 % P for t in range(half)],
                                  dtype=np.uint64)
        inv_y = inv_point[:, None] * inv_roots_half % _P64
        lo, hi = values[:, :half], values[:, half:]
        even = ext_arrays.mul_base(ext_arrays.add(lo, hi), np.uint64(_INV2))
        odd = ext_arrays.mul(ext_arrays.mul_base(ext_arrays.sub(lo, hi), inv_y), challenge)
        values = ext_arrays.add(even, odd)
        challenge = ext_arrays.mul(challenge, challenge)
        inv_point = inv_point * inv_point % _P64
    return values[:, 0]


@njit(nogil=True, cache=True)
def _fold_serial(values, beta, inv_points_half, out):
    for j in range(out.shape[0]):
        _fold_entry(values, beta, inv_points_half, out, j)


@njit(nogil=True, cache=True, parallel=True)
def _fold_parallel(values, beta, inv_points_half, out):
    for j in prange(out.shape[0]):
        _fold_entry(values, beta, inv_points_half, out, j)


@njit(nogil=True, cache=True)
def _fold_entry(values, beta, inv_points_half, out, j):
    # One binary fold: out[j] = (v_j + v_(j+h))/2 + β·(v_j − v_(j+h))/(2·x_j).
    k = j + out.shape[0]
    lo = (np.uint64(values[j, 0]), np.uint64(values[j, 1]), np.uint64(values[j, 2]),
          np.uint64(values[j, 3]))
    hi = (np.uint64(values[k, 0]), np.uint64(values[k, 1]), np.uint64(values[k, 2]),
          np.uint64(values[k, 3]))
    b = (beta[0], beta[1], beta[2], beta[3])
    odd = e4_mul(e4_mul_base(e4_sub(lo, hi), inv_points_half[j]), b)
    res = e4_add(e4_mul_base(e4_add(lo, hi), np.uint64(_INV2)), odd)
    out[j, 0] = res[0]
    out[j, 1] = res[1]
    out[j, 2] = res[2]
    out[j, 3] = res[3]
