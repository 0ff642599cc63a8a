"""What crosses a segment boundary: the state and the boundary table.

A run longer than one trace is proved as segments (``docs/continuations.md``); every
segment's trace is one instance of the machine AIR, told apart by public values:
``segment`` (its index ``k``), ``is_first`` (``k = 0``) and ``is_last`` (``k = n - 1``),
which the verifier sets itself. Two global buses carry what crosses a boundary; all
their messages read stage-0 columns, preprocessed columns and publics only.

**State** (bus ``state``). The transition constraints of the CPU and the syscalls
(declared inside :func:`carried`) also hold on a segment's last row, from that row
into the stage-0 copy ``st.*`` of the next row's quantities they read (``STATE``):
the pc, whether the next row is an instruction and which syscall row it is, the
journal position, the input left, the break and the copy state of a syscall in
progress. The last row of every segment but the last sends
``(k + 1, st.*, link, r0..r3)``; the first row of every segment but the first
receives ``(k, st.*, link, r0..r3)`` and its own columns must equal ``st.*``
(``STATE`` again, read at the current row). So the rows of consecutive segments
satisfy every transition constraint as if they were one trace. ``link`` is the last
address of the final memory so far (:mod:`engine.circuit.final_table`); ``r0..r3``
are random and make each segment's share of the global sum reveal nothing.
Segment 0 starts at the entry instead (``cpu``, ``syscalls``); the last segment must
end halted.

**Words** (bus ``words``, messages ``(addr, kind, lo, hi, tag)``). Each boundary-table
row ``bt`` stands for one memory word the segment touches. On the local memory bus it
sends ``(addr, 3, in, kind)``, the word's value when the segment starts (the first
access of the segment reads it, as the initial image used to be read), and receives
``(addr, last_ts, out, kind)``, its last access. On the words bus it receives
``(addr, kind, in, t_in)`` with ``t_in <= k`` (``k - t_in`` in three looked-up bytes)
and sends ``(addr, kind, out, k + 1)``. Tag 0 is a word's initial value (the
verifier's image, or the final memory's zero), tag ``j + 1`` what segment ``j`` left:
a segment can only start from a value some earlier segment left, and
``docs/continuations.md`` shows it is the latest one.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.columns import INSTRUCTION_FLAGS, ST_COLUMNS, SYSCALL_ROWS, Columns
from engine.circuit.memory import MEMORY_BUS, SEGMENT_START_TS
from engine.circuit.tables import lookup_byte
from engine.stark.air import FIRST, AirBuilder, ColumnGroup, TraceShape

WORDS_BUS = "words"
STATE_BUS = "state"
WORDS_WIDTH = 5
# (tag, the state, link, r0..r3)
STATE_WIDTH = 1 + len(ST_COLUMNS)
#: The helpers of the next row that syscall transitions read, by state column.
STATE_HELPERS = {"e0": "alu.h0", "ptr": "alu.h8", "left": "alu.h9", "cn_lo": "alu.h11",
                 "cn_hi": "alu.h12", "fdt": "alu.h13"}
#: Main columns the state copies one to one (state column -> main column).
STATE_COPIES = {"pc": "cpu.pc", **{f: f"op.{f}" for f in SYSCALL_ROWS},
                "jpos": "cpu.jpos", "ileft": "cpu.ileft", "brk_lo": "cpu.brk_lo",
                "brk_hi": "cpu.brk_hi", **STATE_HELPERS}
#: State columns that are the machine's (the others link the final memory and mask).
MACHINE_STATE = ("instr",) + tuple(STATE_COPIES)


def declare_selectors(b: AirBuilder) -> ColumnGroup:
    """Preprocessed row selectors: ``sel.first`` (row 0), ``sel.last`` (the last real
    row), ``sel.is_reg`` (rows 0..31, the registers' rows of the final memory) and
    ``sel.is_row32`` (row 32, its first RAM word)."""
    return b.preprocessed_group("sel", ("first", "last", "is_reg", "is_row32"),
                                compute=_selectors, fixed=True)


def _selectors(shape: TraceShape) -> np.ndarray:
    out = np.zeros((4, shape.height), dtype=np.uint32)
    out[0, 0] = 1
    out[1, shape.real_rows - 1] = 1
    out[2, :32] = 1
    out[3, 32] = 1
    return out


def carried_state(c: Columns) -> dict:
    """What stands for each next-row column the carried constraints read, on the last
    row (``AirBuilder.carried``): its ``st`` copy. The instruction flags appear in
    those constraints only through their sum (``is_real``), so the first stands for
    the next row's ``instruction`` and the others for 0 (``tests/circuit`` checks that
    the twins agree with the constraints on every kind of row)."""
    state: dict = {main: c.st[s] for s, main in STATE_COPIES.items()}
    for k, flag in enumerate(INSTRUCTION_FLAGS):
        state[f"op.{flag}"] = c.st.instr if k == 0 else 0
    return state


def constrain(b: AirBuilder, c: Columns, publics: dict) -> None:
    st, sel = c.st, c.sel
    k, is_first, is_last = publics["segment"], publics["is_first"], publics["is_last"]
    with b.scope("state"):
        b.bus(STATE_BUS, STATE_WIDTH, is_global=True)
        b.constrain("instr", (1 - is_first) * (c.instruction - st.instr), when=FIRST)
        for s, main in STATE_COPIES.items():
            b.constrain(s, (1 - is_first) * (column_of(c, main) - st[s]), when=FIRST)
        values = [st[name] for name in ST_COLUMNS]
        b.receive(STATE_BUS, [k] + values, mult=sel.first * (1 - is_first), name="from_previous")
        b.send(STATE_BUS, [k + 1] + values, mult=sel.last * (1 - is_last), name="to_next")
    bt, bx = c.bt, c.bx
    real = bt.real
    with b.scope("bt"):
        b.bus(WORDS_BUS, WORDS_WIDTH, is_global=True)
        b.constrain("real_boolean", real * (real - 1))
        b.constrain("t_in_not_later", real * (k - bt.t_in - bx.c0 - bx.c1 * 256
                                              - bx.c2 * 65536))
        for j in range(3):
            lookup_byte(b, f"t_in_byte{j}", bx[f"c{j}"], real)
        b.send(MEMORY_BUS, [bt.addr, SEGMENT_START_TS, bt.in_lo, bt.in_hi, bt.kind], mult=real,
               name="segment_start")
        b.receive(MEMORY_BUS, [bt.addr, bx.last_ts, bt.out_lo, bt.out_hi, bt.kind], mult=real,
                  name="segment_end")
        b.receive(WORDS_BUS, [bt.addr, bt.kind, bt.in_lo, bt.in_hi, bt.t_in], mult=real,
                  name="word_in")
        b.send(WORDS_BUS, [bt.addr, bt.kind, bt.out_lo, bt.out_hi, k + 1], mult=real,
               name="word_out")


def column_of(c: Columns, name: str):
    """Main column ``name`` ("group.column") of ``c``."""
    group, column = name.split(".")
    return getattr(c, group)[column]
