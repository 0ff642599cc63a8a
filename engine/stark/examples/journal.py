"""A journal: the trace writes some of its values to a public journal, and the
verifier balances the journal bus with the bytes of the claim it holds.

Rows carry a private value ``x`` and a running sum ``acc``. A row may write ``x``
(``emit_x``) or ``acc`` (``emit_acc``), never both, at journal position ``pos``. The
two sends form one exclusive group, so they share a single LogUp column. Public
values: the final ``acc`` (``exit_code``) and the journal length. The verifier
receives ``(k, journal[k])`` for every position ``k``: ``S + public sum = 0`` holds
exactly when the trace wrote that journal.
"""
from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np

from engine.field.babybear import P
from engine.stark.air import FIRST, LAST, TRANSITION, Air, AirBuilder, TraceShape
from engine.stark.examples.witness import ExampleWitness, Tampered, random_rows
from engine.stark.logup_trace import PublicMessages

COLUMNS = ("x", "acc", "emit_x", "emit_acc", "pos")


@functools.cache
def build_air() -> Air:
    """Group ``io(x, acc, emit_x, emit_acc, pos)``; publics ``exit_code, journal_len``."""
    b = AirBuilder("journal")
    io = b.main_group("io", list(COLUMNS))
    exit_code, length = b.public("exit_code"), b.public("journal_len")
    emitted = io.emit_x + io.emit_acc
    with b.scope("io"):
        b.constrain("acc_first", io.acc - io.x, when=FIRST)
        b.constrain("acc_step", io.acc.next - io.acc - io.x.next, when=TRANSITION)
        b.constrain("acc_last", io.acc - exit_code, when=LAST)
        b.constrain("pos_first", io.pos, when=FIRST)
        b.constrain("pos_step", io.pos.next - io.pos - emitted, when=TRANSITION)
        b.constrain("pos_last", io.pos + emitted - length, when=LAST)
        with b.exclusive("out"):
            b.send("journal", [io.pos, io.x], flag=io.emit_x, name="write_x")
            b.send("journal", [io.pos, io.acc], flag=io.emit_acc, name="write_acc")
    return b.build()


def journal_messages(journal: np.ndarray) -> PublicMessages:
    """The verifier's side of the journal bus: receive ``(k, journal[k])``."""
    journal = np.asarray(journal, dtype=np.int64)
    return PublicMessages.receives("journal", np.stack([np.arange(journal.size), journal], 1))


def honest_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> ExampleWitness:
    """Random bytes ``x``; about a quarter of the rows write ``x``, an eighth ``acc``."""
    rng = rng if rng is not None else np.random.default_rng()
    real = shape.real_rows
    x = rng.integers(0, 256, real)
    acc = np.cumsum(x) % P
    choice = rng.integers(0, 8, real)
    emit_x, emit_acc = (choice < 2).astype(np.int64), (choice == 2).astype(np.int64)
    pos = np.concatenate([[0], np.cumsum(emit_x + emit_acc)[:-1]])
    main = np.zeros((len(COLUMNS), shape.height), dtype=np.uint32)
    for k, column in enumerate([x, acc, emit_x, emit_acc, pos]):
        main[k, :real] = column
    random_rows(main, shape, rng)
    written = (emit_x + emit_acc).astype(bool)
    journal = np.where(emit_x[written] == 1, x[written], acc[written])
    publics = np.array([acc[-1], journal.size], dtype=np.uint32)
    return ExampleWitness(shape, main, publics, public_data=journal,
                          public_messages=(journal_messages(journal),))


def tampered_witness(shape: TraceShape, rng: np.random.Generator | None = None) -> Tampered:
    """On a row that wrote ``x``, the flags become ``emit_x = 2, emit_acc = -1``: their
    sum (and so ``pos``) is unchanged, but the flags are not boolean."""
    witness = honest_witness(shape, rng)
    main = witness.main
    row = next(r for r in range(1, shape.real_rows) if main[2, r] == 1)
    bad = witness.with_cell(2, row, 2).with_cell(3, row, P - 1)
    return Tampered(bad, row, constraint="io.write_x.flag_boolean")


def with_changed_journal(witness: ExampleWitness, index: int = 0) -> ExampleWitness:
    """The same trace claimed with one journal entry changed (the verifier must refuse)."""
    journal = np.array(witness.public_data, dtype=np.int64)
    journal[index] = (journal[index] + 1) % P
    return replace(witness, public_data=journal, public_messages=(journal_messages(journal),))
