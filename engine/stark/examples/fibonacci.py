"""Fibonacci: ``(a, b) -> (b, a + b)`` from public inputs to a public result.

The smallest AIR with every selector: the first row is tied to the public inputs
``a0, b0``, every transition steps the sequence, the last real row exposes ``result``.
"""
from __future__ import annotations

import functools

import numpy as np

from engine.field.babybear import P
from engine.stark.air import FIRST, LAST, TRANSITION, Air, AirBuilder, TraceShape
from engine.stark.examples.witness import ExampleWitness, Tampered, random_rows


@functools.cache
def build_air() -> Air:
    """Columns ``a, b``; public values ``a0, b0, result``."""
    b = AirBuilder("fibonacci")
    a, x = b.main("a"), b.main("b")
    a0, b0, result = b.public("a0"), b.public("b0"), b.public("result")
    with b.scope("fib"):
        b.constrain("a_first", a - a0, when=FIRST)
        b.constrain("b_first", x - b0, when=FIRST)
        b.constrain("a_step", a.next - x, when=TRANSITION)
        b.constrain("b_step", x.next - (a + x), when=TRANSITION)
        b.constrain("b_last", x - result, when=LAST)
    return b.build()


def honest_witness(shape: TraceShape, rng: np.random.Generator | None = None,
                   a0: int = 0, b0: int = 1) -> ExampleWitness:
    """The sequence from ``(a0, b0)`` over the real rows; ``result`` is its last b."""
    main = np.zeros((2, shape.height), dtype=np.uint32)
    a, x = a0 % P, b0 % P
    for r in range(shape.real_rows):
        main[0, r], main[1, r] = a, x
        a, x = x, (a + x) % P
    random_rows(main, shape, rng)
    publics = np.array([a0 % P, b0 % P, main[1, shape.real_rows - 1]], dtype=np.uint32)
    return ExampleWitness(shape, main, publics)


def tampered_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> Tampered:
    """``b`` is off by one at a middle row ``r``: the step into ``r`` fails first."""
    witness = honest_witness(shape, rng)
    row = shape.real_rows // 2
    bad = witness.with_cell(1, row, (int(witness.main[1, row]) + 1) % P)
    return Tampered(bad, row - 1, constraint="fib.b_step")
