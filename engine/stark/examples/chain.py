"""Chain: one counter run across a set of proofs linked by a global bus.

Proof ``k`` of ``n`` holds ``x = s + k·R .. s + (k+1)·R - 1`` over its ``R`` real rows
(``x`` is a stage-0 column, ``y = 2x`` a later one). Its first row receives
``(k, x)`` on the global bus ``chain`` and its last real row sends ``(k + 1, x + 1)``;
the verifier sends ``(0, s)`` and receives ``(n, s + n·R)``. The shares balance only if
each proof starts where the one before it ended: the smallest set-level check, the
pattern the machine's segments use for their boundary state.
"""
from __future__ import annotations

import functools

import numpy as np

from engine.field.babybear import P
from engine.stark.air import EVERY, TRANSITION, Air, AirBuilder, TraceShape
from engine.stark.examples.witness import ExampleWitness, random_rows
from engine.stark.logup_trace import PublicMessages

CHAIN_BUS = "chain"


def _selectors(shape: TraceShape) -> np.ndarray:
    out = np.zeros((2, shape.height), dtype=np.uint32)
    out[0, 0] = 1
    out[1, shape.real_rows - 1] = 1
    return out


@functools.cache
def build_air() -> Air:
    """Stage-0 column ``x``, main column ``y``; public value ``index``."""
    b = AirBuilder("chain")
    x = b.stage0_group("link", ("x",)).x
    y = b.main("y")
    index = b.public("index")
    sel = b.preprocessed_group("sel", ("first", "last"), compute=_selectors, fixed=True)
    b.bus(CHAIN_BUS, 2, is_global=True)
    with b.scope("chain"):
        b.constrain("x_step", x.next - x - 1, when=TRANSITION)
        b.constrain("y_double", y - 2 * x, when=EVERY)
        b.receive(CHAIN_BUS, [index, x], mult=sel.first, name="from_previous")
        b.send(CHAIN_BUS, [index + 1, x + 1], mult=sel.last, name="to_next")
    return b.build()


def honest_chain(shape: TraceShape, count: int, start: int = 7,
                 rng: np.random.Generator | None = None) -> list[ExampleWitness]:
    """The ``count`` witnesses of one counter from ``start``."""
    out = []
    for k in range(count):
        main = np.zeros((2, shape.height), dtype=np.uint32)
        first = start + k * shape.real_rows
        main[0, :shape.real_rows] = (first + np.arange(shape.real_rows)) % P
        main[1, :shape.real_rows] = (2 * main[0, :shape.real_rows].astype(np.int64)) % P
        random_rows(main, shape, rng)
        out.append(ExampleWitness(shape, main, np.array([k], dtype=np.uint32)))
    return out


def chain_messages(shape: TraceShape, count: int, start: int = 7) -> tuple[PublicMessages, ...]:
    """The verifier's messages on the global bus: the chain's two ends."""
    end = (start + count * shape.real_rows) % P
    return (PublicMessages.sends(CHAIN_BUS, [[0, start % P]]),
            PublicMessages.receives(CHAIN_BUS, [[count, end]]))
