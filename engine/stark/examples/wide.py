"""A synthetic wide AIR for benchmarks: ~``n_columns`` main columns, as many degree-3
constraints, a permutation and range-check lookups, like a slice of a zkVM's machine AIR.

Layout (``seed`` picks the wiring reproducibly):

* ``free.*``: random columns, some of them boolean flags (``f·(f - 1) = 0``);
* ``derived.*``: column ``d_k`` is defined from earlier columns by a random degree-3
  formula, either on the same row (``EVERY``: ``d_k = x·y·z + u·v + c``, some terms
  gated by a flag) or across rows (``TRANSITION``: ``d_k' = x'·y·z + u' + c``);
* ``perm.*``: two column pairs holding the same rows in another order (bus ``perm``);
* ``range.*``: columns range-checked by lookups into a preprocessed table of
  ``0 .. RANGE - 1`` (bus ``range``) with a multiplicity column.

The witness fills the columns in order, each derived column with one vectorized NumPy
evaluation of its formula.
"""
from __future__ import annotations

import functools

import numpy as np

from engine.field.babybear import P, bb_random
from engine.stark.air import EVERY, FIRST, TRANSITION, Air, AirBuilder, TraceShape
from engine.stark.examples.witness import ExampleWitness, Tampered, random_rows
from engine.stark.numpy_eval import evaluate_numpy

N_RANGE_COLUMNS = 2
RANGE = 64


def range_table(shape: TraceShape) -> np.ndarray:
    """Preprocessed ``(H,)``: row ``r`` holds ``r mod RANGE``."""
    return (np.arange(shape.height) % RANGE).astype(np.uint32)


@functools.cache
def build_air(n_columns: int = 100, seed: int = 0) -> Air:
    """The AIR and, for the witness generator, each derived column's formula."""
    return _build(n_columns, seed)[0]


@functools.cache
def _build(n_columns: int, seed: int):
    rng = np.random.default_rng(seed)
    b = AirBuilder(f"wide{n_columns}")
    n_free = max(8, n_columns // 5)
    n_flags = max(2, n_free // 4)
    n_derived = n_columns - n_free - 4 - N_RANGE_COLUMNS - 1
    if n_derived < 1:
        raise ValueError("the wide AIR needs at least 16 columns")
    perm = b.main_group("perm", ["a0", "a1", "b0", "b1"])
    checked = b.main_group("range", [f"x{k}" for k in range(N_RANGE_COLUMNS)] + ["mult"])
    table = b.preprocessed("table.range", compute=range_table, fixed=True)
    free = list(b.main_group("free", [f"c{k}" for k in range(n_free)]))
    derived = list(b.main_group("derived", [f"d{k}" for k in range(n_derived)]))
    flags = free[:n_flags]
    seed_value = b.public("seed")
    b.constrain("free.c0_first", free[n_flags] - seed_value, when=FIRST)
    for k, f in enumerate(flags):
        b.constrain(f"free.flag{k}_boolean", f * (f - 1))
    formulas = []
    for k, d in enumerate(derived):
        pool = free + derived[:k]
        x, y, z, u, v = (pool[i] for i in rng.integers(0, len(pool), 5))
        c = int(rng.integers(0, P))
        if k % 3 == 2:
            rhs = x.next * y * z + u.next + c
            b.constrain(f"derived.d{k}_step", d.next - rhs, when=TRANSITION)
        else:
            flag = flags[int(rng.integers(0, n_flags))]
            rhs = x * y * z + flag * u * v + c
            b.constrain(f"derived.d{k}_def", d - rhs, when=EVERY)
        formulas.append((k % 3 == 2, rhs))
    b.send("perm", [perm.a0, perm.a1], name="perm_a")
    b.receive("perm", [perm.b0, perm.b1], name="perm_b")
    for k in range(N_RANGE_COLUMNS):
        b.send("range", [checked[f"x{k}"]], name=f"range_x{k}")
    b.receive("range", [table], mult=checked.mult, name="range_table")
    return b.build(), tuple(formulas), n_free, n_flags


def honest_witness(shape: TraceShape, rng: np.random.Generator | None = None,
                   n_columns: int = 100, seed: int = 0) -> ExampleWitness:
    """A satisfying witness; needs at least ``RANGE`` real rows (the table)."""
    if shape.real_rows < RANGE:
        raise ValueError(f"the wide example needs at least {RANGE} real rows")
    air, formulas, n_free, n_flags = _build(n_columns, seed)
    rng = rng if rng is not None else np.random.default_rng()
    real, height = shape.real_rows, shape.height
    main = np.zeros((air.n_main, height), dtype=np.uint32)
    main[0:2, :real] = bb_random(rng, (2, real))
    main[2:4, :real] = main[0:2, rng.permutation(real)]
    x = rng.integers(0, RANGE, (N_RANGE_COLUMNS, real))
    main[4:4 + N_RANGE_COLUMNS, :real] = x
    main[4 + N_RANGE_COLUMNS, :RANGE] = np.bincount(x.ravel(), minlength=RANGE)
    first_free = 5 + N_RANGE_COLUMNS
    main[first_free:first_free + n_flags, :real] = rng.integers(0, 2, (n_flags, real))
    main[first_free + n_flags:first_free + n_free, :real] = bb_random(
        rng, (n_free - n_flags, real))
    seed_value = int(main[first_free + n_flags, 0])
    prep = air.compute_preprocessed(shape)
    publics = np.array([seed_value], dtype=np.uint32)
    for k, (is_step, rhs) in enumerate(formulas):
        value = evaluate_numpy([rhs], main=main, prep=prep, publics=publics)[0]
        column = first_free + n_free + k
        if is_step:
            main[column, 1:real] = value[:real - 1]
            main[column, 0] = bb_random(rng, 1)[0]
        else:
            main[column, :real] = value[:real]
    random_rows(main, shape, rng)
    return ExampleWitness(shape, main, publics)


def tampered_witness(shape: TraceShape, rng: np.random.Generator | None = None,
                     n_columns: int = 100, seed: int = 0) -> Tampered:
    """The last derived column (no other constraint reads it) is changed at a row."""
    air, formulas, _, _ = _build(n_columns, seed)
    witness = honest_witness(shape, rng, n_columns, seed)
    k = len(formulas) - 1
    row = shape.real_rows // 2
    bad = witness.with_cell(air.n_main - 1, row, (int(witness.main[-1, row]) + 1) % P)
    is_step = formulas[k][0]
    name = f"derived.d{k}_step" if is_step else f"derived.d{k}_def"
    return Tampered(bad, row - 1 if is_step else row, constraint=name)
