"""A permutation argument: the rows of group ``right`` are the rows of group ``left``
in another order (a multiset equality over the real rows, by LogUp).

``left`` also satisfies a row constraint (``b = a²``), so the example mixes a degree-2
constraint with a bus whose two interactions share one LogUp column.
"""
from __future__ import annotations

import functools

import numpy as np

from engine.field.babybear import P, bb_random
from engine.stark.air import Air, AirBuilder, TraceShape
from engine.stark.examples.witness import ExampleWitness, Tampered, random_rows


@functools.cache
def build_air() -> Air:
    """Groups ``left(a, b)`` and ``right(a, b)``; bus ``perm``."""
    b = AirBuilder("permutation")
    left = b.main_group("left", ["a", "b"])
    right = b.main_group("right", ["a", "b"])
    b.constrain("left.b_is_square", left.b - left.a * left.a)
    b.send("perm", [left.a, left.b], name="left")
    b.receive("perm", [right.a, right.b], name="right")
    return b.build()


def honest_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> ExampleWitness:
    """Random ``left.a``; ``right`` is ``left`` under a random permutation of the rows."""
    rng = rng if rng is not None else np.random.default_rng()
    real = shape.real_rows
    main = np.zeros((4, shape.height), dtype=np.uint32)
    a = bb_random(rng, real).astype(np.uint64)
    main[0, :real] = a
    main[1, :real] = a * a % P
    order = rng.permutation(real)
    main[2, :real] = main[0, order]
    main[3, :real] = main[1, order]
    random_rows(main, shape, rng)
    return ExampleWitness(shape, main, np.zeros(0, dtype=np.uint32))


def tampered_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> Tampered:
    """One ``right`` row is changed: it is no longer a row of ``left``."""
    witness = honest_witness(shape, rng)
    row = 3
    bad = witness.with_cell(2, row, (int(witness.main[2, row]) + 5) % P)
    return Tampered(bad, row, bus="perm", interaction="right")
