"""The quotient: computed over the LDE coset, split into randomized chunks of H/2.

With ``N(x) = Σ_i α^i·sel_i(x)·C_i(x)`` (the constraint combination) and
``Z_H(x) = x^H − 1``, an honest witness makes ``Q = N / Z_H`` a polynomial of degree
at most ``quotient_degree(air, shape)`` (:mod:`engine.stark.selectors`).

**Prover.** :func:`quotient_values` evaluates ``N`` over the LDE coset ``g·H_(B·H)``
(natural order, ``B`` the blowup), reporting progress between blocks of 2^15 points,
with the selectors divided by ``Z_H`` beforehand (it takes only ``B`` distinct values
there), so the kernel yields ``Q`` itself.
:func:`split_quotient` interpolates ``Q`` (coset INTT) and cuts its coefficients into
``k = chunk_count(air, shape)`` chunks of ``H/2``: ``Q = Σ_i x^(i·H/2)·q_i``. It then
draws random extension polynomials ``s_0 .. s_(k−2)`` of degree < H/2 and returns

    q_i' = q_i + x^(H/2)·s_i − s_(i−1)        (s_(−1) = s_(k−1) = 0),

so ``Σ_i x^(i·H/2)·q_i' = Q`` still (the pads telescope) while each ``q_i'`` has
degree < H, the PCS's bound, and on its own looks random: its openings reveal nothing
beyond ``Q`` at the opened points (``docs/zero-knowledge.md``). Chunk ``i`` is
committed as base columns ``4i .. 4i+3`` (its coordinates c0..c3), as coefficients.

**Verifier.** :func:`recombine` computes ``Σ_i ζ^(i·H/2)·q_i'(ζ)`` from the chunks'
openings; the verifier checks ``N(ζ) = Z_H(ζ)·Q(ζ)``.
"""
from __future__ import annotations

import numpy as np

from engine.field.babybear import GENERATOR, P, bb_random
from engine.field.scalar import Ext
from engine.poly.ntt import coset_intt, ext_to_base_columns
from engine.stark.air import TraceShape
from engine.stark.constraints import evaluate_constraints
from engine.stark.selectors import quotient_degree, quotient_selectors

__all__ = ["chunk_count", "chunk_size", "quotient_values", "recombine", "split_quotient"]

def chunk_size(height: int) -> int:
    """Coefficients per quotient chunk: ``H/2``, so a randomized chunk fits below H."""
    return height // 2


def chunk_count(air, shape: TraceShape) -> int:
    """How many chunks of ``H/2`` coefficients the quotient of ``air`` needs."""
    size = chunk_size(shape.height)
    return max(1, -(-(quotient_degree(air, shape) + 1) // size))


def quotient_values(air, *, main: np.ndarray, prep: np.ndarray | None,
                    aux: np.ndarray | None, shape: TraceShape, log_blowup: int, publics,
                    challenges, aux_publics, alpha: Ext, progress=None) -> np.ndarray:
    """``Q(x) = N(x)/Z_H(x)`` at every point of the LDE coset ``g·H_(B·H)``.

    ``main``, ``prep``, ``aux``: the committed LDEs, ``(columns, B·H)`` uint32 in
    natural order (``None`` for none), canonical (they are not scanned again).
    ``progress(fraction)`` is called after each block of points (it may raise to
    cancel). Returns ``(B·H, 4)`` uint32.
    """
    blowup = 1 << log_blowup
    log_n = shape.log_height + log_blowup
    n = 1 << log_n
    # Dividing the selectors by Z_H divides every term of N: the kernel returns Q.
    selectors = quotient_selectors(GENERATOR, log_n, shape)
    return evaluate_constraints(
        air, main=main, prep=prep, aux=aux, selectors=selectors, publics=publics,
        challenges=challenges, aux_publics=aux_publics, alpha=alpha, stride=blowup,
        check_values=False,
        progress=None if progress is None else lambda done: progress(done / n))


def split_quotient(values: np.ndarray, height: int, count: int,
                   rng: np.random.Generator | None, *, randomize: bool = True,
                   degree_bound: int | None = None) -> np.ndarray:
    """Randomized chunks of the quotient: ``(4·count, H)`` uint32 coefficients.

    ``values``: ``Q`` over the LDE coset ``g·H_N``, ``(N, 4)`` uint32. Chunk ``i``'s
    coordinate ``c`` is row ``4i + c``, low degree first. ``rng`` draws the pads
    (``None``: the operating system's source); ``randomize=False`` (proofs without
    zero knowledge) leaves them out: ``q_i' = q_i``. With ``degree_bound`` given,
    raises ``ValueError`` if ``Q`` has a coefficient above it (a witness that does
    not satisfy the AIR); without, higher coefficients are dropped.
    """
    coeffs = coset_intt(ext_to_base_columns(values), GENERATOR)
    size = chunk_size(height)
    if degree_bound is not None and np.any(coeffs[:, degree_bound + 1:]):
        raise ValueError("the quotient is not a polynomial of the expected degree: the "
                         "witness does not satisfy the AIR")
    out = np.zeros((4 * count, height), dtype=np.uint32)
    pads = (bb_random(rng, (count - 1, 4, size)) if randomize
            else np.zeros((count - 1, 4, size), dtype=np.uint32))
    for i in range(count):
        low = coeffs[:, i * size:(i + 1) * size]
        rows = out[4 * i:4 * i + 4]
        rows[:, :low.shape[1]] = low
        if i > 0:
            rows[:, :size] = (rows[:, :size].astype(np.uint64) + P - pads[i - 1]) % P
        if i < count - 1:
            rows[:, size:] = pads[i]
    return out


def recombine(openings: np.ndarray, zeta: Ext, height: int) -> Ext:
    """``Q(ζ) = Σ_i ζ^(i·H/2)·q_i'(ζ)`` with ``q_i'(ζ) = Σ_c X^c·openings[4i + c]``.

    ``openings``: ``(4·count, 4)`` uint32, each base column's value at ζ (an
    extension element).
    """
    x = Ext(0, 1, 0, 0)
    step = zeta ** chunk_size(height)
    total, power = Ext.ZERO, Ext.ONE
    rows = [Ext(*row) for row in openings.tolist()]
    for i in range(len(rows) // 4):
        c = rows[4 * i:4 * i + 4]
        total = total + power * (c[0] + x * (c[1] + x * (c[2] + x * c[3])))
        power = power * step
    return total
