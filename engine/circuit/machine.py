"""The RV32IM machine AIR: the regions assembled into one AIR over one trace.

``build_air()`` (cached) declares the columns (:mod:`engine.circuit.columns`), the
preprocessed tables, the public values and every region's constraints and bus
interactions. One trace is one *segment* of a run (``docs/continuations.md``; a run
that fits one trace is one segment). Public values: ``entry`` (the first pc),
``exit_lo``/``exit_hi`` (the exit code's halves), ``heap_lo``/``heap_hi`` (the heap
start's halves, from the image), ``segment`` (the segment's index), ``is_first``,
``is_last``, ``j_in``/``j_out`` (the journal bytes written before and by the end
of the segment) and ``first_cycle`` (the rows of the run before the segment: what the
cycle counter reads on its row 0). The preprocessed columns (the byte and range tables, the row
selectors) are fixed: they depend on the height alone, so their roots are keys
(:mod:`engine.stark.keys`), shipped for the default parameters in
``engine/circuit/keys.json`` (:mod:`engine.circuit.keys` regenerates it); no public
data is needed. Public messages (``engine.circuit.witness.segment_messages``): the
segment's slice of the journal (``journal_messages``) on the local journal bus and the
program ROM's rows (``program_image_messages``) on the local program-image bus; once
per run, the image on the global words bus (``image_messages``).

Operations that define the same quantity (the rd value, the RAM value, ``X``, ``Y``)
do so in one constraint each, ``sum_f flag_f·(target - value_f)``: at most one flag
is set on a row, so the sum vanishes exactly when the active operation's equation
holds, and the AIR stays at a few hundred constraints.
"""
from __future__ import annotations

import functools
from pathlib import Path

from engine.circuit import (alu, boundary, cpu, final_table, memory, muldiv, program, syscalls,
                            tables)
from engine.circuit.alu import halves
from engine.circuit.columns import Columns, declare_main
from engine.stark.air import Air, AirBuilder

AIR_NAME = "rv32im"
#: The preprocessed roots for the shipped parameters (``python -m engine.circuit.keys``).
KEY_FILE = Path(__file__).with_name("keys.json")
PUBLIC_VALUES = ("entry", "exit_lo", "exit_hi", "heap_lo", "heap_hi", "segment", "is_first",
                 "is_last", "j_in", "j_out", "first_cycle")


@functools.cache
def build_air() -> Air:
    """The machine AIR (built once per process)."""
    b = AirBuilder(AIR_NAME)
    main = declare_main(b)
    table = tables.declare(b)
    sel = boundary.declare_selectors(b)
    publics = {name: b.public(name) for name in PUBLIC_VALUES}
    c = Columns(**main, table=table, sel=sel)

    # The machine's transitions also hold from each segment's last row into the next.
    with b.carried(boundary.carried_state(c), 1 - publics["is_last"]):
        cpu.constrain(b, c, publics)
        program.constrain(b, c)
        memory.constrain(b, c)
        alu.constrain(b, c)
        muldiv.constrain(b, c)
        syscalls.constrain(b, c, publics)
    boundary.constrain(b, c, publics)
    final_table.constrain(b, c, publics)
    tables.constrain(b, c)

    x_lo, x_hi = halves(c.x)
    y_lo, y_hi = halves(c.y)
    m = c.mem
    with b.scope("def"):
        _defined(b, "x", (x_lo, x_hi), alu.x_definitions(c) + syscalls.x_definitions(c, publics))
        _defined(b, "y", (y_lo, y_hi), alu.y_definitions(c) + syscalls.y_definitions(c))
        _defined(b, "rd", (m.c_lo, m.c_hi),
                 alu.results(c) + muldiv.results(c) + syscalls.results(c))
        _defined(b, "ram", (m.n_lo, m.n_hi), alu.ram_values(c) + syscalls.ram_values(c))
    return b.build(key_file=KEY_FILE)


def _defined(b: AirBuilder, name: str, target, cases) -> None:
    for half, index in (("lo", 1), ("hi", 2)):
        total = 0
        for case in cases:
            total = case[0] * (target[index - 1] - case[index]) + total
        b.constrain(f"{name}_{half}", total)
