"""A LogUp lookup into a fixed table: every row's ``(x, sq)`` must be a row of the
preprocessed table of squares ``(t, t²)``, ``t < TABLE_SIZE``.

The table side receives each entry with the multiplicity column ``mult`` (committed
in the main trace, so before the challenges are drawn); the looking side sends one
message per real row. The table occupies rows ``0 .. TABLE_SIZE - 1`` and repeats
after that, so it needs ``H - zk_rows >= TABLE_SIZE``.
"""
from __future__ import annotations

import functools

import numpy as np

from engine.field.babybear import P
from engine.stark.air import Air, AirBuilder, TraceShape
from engine.stark.examples.witness import ExampleWitness, Tampered, random_rows

TABLE_SIZE = 64


def squares_table(shape: TraceShape) -> np.ndarray:
    """Preprocessed ``(2, H)``: row ``r`` holds ``(t, t²)`` with ``t = r mod TABLE_SIZE``."""
    t = np.arange(shape.height, dtype=np.uint64) % TABLE_SIZE
    return np.stack([t, t * t]).astype(np.uint32)


@functools.cache
def build_air() -> Air:
    """Main ``x, sq, mult``; preprocessed ``table.t, table.sq``; bus ``square``."""
    b = AirBuilder("lookup")
    table = b.preprocessed_group("table", ["t", "sq"], compute=squares_table,
                                 fixed=True)
    x, sq, mult = b.main("x"), b.main("sq"), b.main("mult")
    b.send("square", [x, sq], name="lookup")
    b.receive("square", [table.t, table.sq], mult=mult, name="table")
    return b.build()


def honest_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> ExampleWitness:
    """Random ``x < TABLE_SIZE`` with their squares; table multiplicities counted."""
    if shape.real_rows < TABLE_SIZE:
        raise ValueError(f"the lookup example needs at least {TABLE_SIZE} real rows")
    rng = rng if rng is not None else np.random.default_rng()
    real = shape.real_rows
    main = np.zeros((3, shape.height), dtype=np.uint32)
    x = rng.integers(0, TABLE_SIZE, real)
    main[0, :real] = x
    main[1, :real] = x * x
    # Multiplicities sit on the first copy of each table entry, rows 0..TABLE_SIZE-1.
    main[2, :TABLE_SIZE] = np.bincount(x, minlength=TABLE_SIZE)
    random_rows(main, shape, rng)
    return ExampleWitness(shape, main, np.zeros(0, dtype=np.uint32))


def tampered_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> Tampered:
    """One looked-up square is wrong, so its message matches no table entry."""
    witness = honest_witness(shape, rng)
    row = shape.real_rows // 3
    bad = witness.with_cell(1, row, (int(witness.main[1, row]) + 1) % P)
    return Tampered(bad, row, bus="square", interaction="lookup")
