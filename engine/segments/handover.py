"""The state one segment hands the next, computed without the segment's witness.

A segment's witness reads the state it hands over (``MachineWitness.state_out``, the
``st`` columns: ``docs/continuations.md``, "The machine's boundary regions") off the
next segment's first row, which it appends to its own rows: that row's pc, its kind
and syscall row, the journal position, the input left, the break and the six helper
columns the syscall transitions read (``engine.circuit.boundary.STATE_COPIES``), then
the final memory's last address so far (``link``) and the four mask elements. All of
it depends on the run only through

* the next row itself (pc, kind, slots, its ALU or syscall helpers),
* what the rows before it leave (``RowContext``): the journal bytes written, the input
  bytes read and the break (the executor's ``Window.end``), and, when the row is an
  arguments or copy row of a read/write, which syscall it belongs to, its fd test and
  the bytes its copy has left of how many — read off the window's last rows (a
  syscall's arguments row follows its ecall, its copy rows follow the arguments row)
  or, for a copy that started in an earlier window, off the state that window handed
  over;
* the final table's slice and the secret (``link``, the masks).

:func:`handed_over` builds that context and runs the witness generator's own row code
(``engine.circuit.witness``: classification, CPU, memory, ALU and syscall regions) on
the one row, as the next segment's witness does on its row 0, so the result is the
state the witness computes, bit for bit; a few milliseconds a boundary instead of a
whole witness. :class:`Handover` chains it over a run's windows in order. The
witnesses keep computing their own ``state_out`` (the proof checks the two agree: a
wrong state here makes the segment's state messages unmatched, never a false proof).
"""
from __future__ import annotations

import numpy as np

from engine.circuit import witness_alu, witness_syscalls
from engine.circuit.columns import ST_COLUMNS
from engine.circuit.image import MachineImage
from engine.circuit.machine import build_air
from engine.circuit.witness import RowContext, Rows, _classify, _cpu, _memory, _state_of_row
from engine.field.babybear import P
from engine.segments.final import FinalTable
from engine.stark.params import ProofParams
from engine.vm.executor import Window
from engine.vm.kernel import SYS_READ
from engine.vm.trace import (C_IO_LENGTH, C_KIND, C_SLOT0, KIND_SYSCALL_ARGS, KIND_SYSCALL_IO,
                             SLOTS)

_LINK = ST_COLUMNS.index("link")
_MASKS = tuple(ST_COLUMNS.index(f"r{k}") for k in range(4))
# Where the syscall rows read their operands: an ecall row's a7 and a0 (fd) are its
# slots 0 and 1, an arguments row's a1 (buffer) and a2 (count) too (``prev`` values).
_A7 = C_SLOT0 + 2
_A0 = C_SLOT0 + 4 + 2
_COUNT = C_SLOT0 + 4 + 2


def handed_over(image: MachineImage, window: Window, state_in: np.ndarray | None, *,
                input_length: int, final: FinalTable, link_in: int,
                state_random: tuple[int, int, int, int],
                params: ProofParams = ProofParams()) -> np.ndarray | None:  # noqa: B008
    """The ``st`` values segment ``window.index`` hands to the next one (uint32,
    ``len(ST_COLUMNS)``), as its witness's ``state_out``; None for the last window.

    ``window``: the recorded window (global or window-local timestamps: none is read).
    ``state_in``: what the previous segment handed over (None for segment 0).
    ``final``: the segment's slice of the final table, ``link_in`` the last address of
    the slices before it (-1 for none), ``state_random`` the four masks. Raises
    ``ValueError`` for rows the witness generator would refuse."""
    if window.next_row is None:
        return None
    rows = window.trace.rows
    n = rows.shape[0]
    kinds = rows[:, C_KIND].astype(np.int64)
    nxt = np.array(window.next_row, dtype=np.uint32).copy()
    for slot in range(SLOTS):
        nxt[C_SLOT0 + 4 * slot + 1] = 0    # as the witness does: its timestamps are the next
    end = window.end
    jpos, ileft, brk = end.journal_position, input_length - end.input_position, end.brk
    flag, fdt, left, count = None, 0, 0, 0
    kind = int(nxt[C_KIND])
    if kind == KIND_SYSCALL_ARGS:
        # Its ecall is the window's last row: read, a journal write or another write.
        ecall = rows[n - 1]
        fd = int(ecall[_A0])
        if int(ecall[_A7]) == SYS_READ:
            flag, fdt = "args_r", int(fd == 0)
        elif fd == 1:
            flag = "args_wj"
        else:
            flag, fdt = "args_wn", int(fd == 2)
    elif kind == KIND_SYSCALL_IO:
        others = np.flatnonzero(kinds != KIND_SYSCALL_IO)
        j = int(others[-1]) if others.size else -1
        copied = int(rows[j + 1:, C_IO_LENGTH].astype(np.int64).sum())
        if j >= 0:
            # The copy's arguments row is row j of this window.
            if kinds[j] != KIND_SYSCALL_ARGS:
                raise ValueError(f"window {window.index}: copy rows after a row that is not "
                                 "a syscall's arguments row")
            if j > 0:
                is_read = int(rows[j - 1, _A7]) == SYS_READ
            else:
                is_read = _context(state_in, window).flag == "args_r"
            asked = int(rows[j, _COUNT])
            # A read copies min(n, input left at its arguments row): what is left now
            # plus what its copy rows before the boundary read.
            count = min(asked, ileft + copied) if is_read else asked
            left = count - copied
            flag = "io_r" if is_read else "io_w"
        else:
            # The whole window copies for a syscall an earlier window started.
            before = _context(state_in, window)
            if before.flag not in ("io_r", "io_w"):
                raise ValueError(f"window {window.index} starts with copy rows its state "
                                 "does not expect")
            flag, count, left = before.flag, before.count, before.left - copied
    context = RowContext(jpos=jpos, ileft=ileft, brk=brk, flag=flag, fdt=fdt, left=left,
                         count=count)
    state = row_state(image, nxt, context, window.first_row + n, params)
    addr = np.asarray(final.addr, dtype=np.int64)
    state[_LINK] = (int(addr[-1]) if addr.size else int(link_in)) % P
    for k, column in enumerate(_MASKS):
        state[column] = int(state_random[k]) % P
    return state


def row_state(image: MachineImage, row: np.ndarray, context: RowContext, cycle: int,
              params: ProofParams = ProofParams()) -> np.ndarray:  # noqa: B008
    """The machine part of ``st`` for one recorded ``row`` (uint32, ``N_COLUMNS``; its
    timestamps are not read) that run row ``cycle`` executes after rows that left
    ``context``: the witness generator's row code on that row alone, as the first row
    of a segment. ``link`` and the masks are 0."""
    rows = Rows(build_air(), image, row[None, :], 1 + params.zk_rows, params.zk_rows, context)
    _classify(rows)
    _cpu(rows)
    _memory(rows)
    witness_alu.fill(rows, cycle)
    witness_syscalls.fill(rows)
    return _state_of_row(rows, 0)


def _context(state_in: np.ndarray | None, window: Window) -> RowContext:
    if state_in is None:
        raise ValueError(f"window {window.index} continues a syscall but has no state "
                         "handed over")
    return RowContext.from_state(state_in)


class Handover:
    """The states handed over along a run's windows, in order: ``next(window)`` gives
    the state window ``window.index`` hands over (None for the last) and keeps it as
    the next window's ``state_in``; ``state_in`` and ``link_in`` are what the next
    window starts from. ``final_of(k)``: segment ``k``'s slice of the final table;
    ``random_of(k)``: its masks."""

    def __init__(self, image: MachineImage, input_length: int, final_of, random_of,
                 params: ProofParams = ProofParams()):  # noqa: B008
        self.image, self.input_length, self.params = image, int(input_length), params
        self.final_of, self.random_of = final_of, random_of
        self.state_in: np.ndarray | None = None
        self.link_in = -1
        self.index = 0

    def next(self, window: Window) -> np.ndarray | None:
        if window.index != self.index:
            raise ValueError(f"window {window.index} handed over out of order (expected "
                             f"{self.index})")
        final = self.final_of(window.index)
        state = handed_over(self.image, window, self.state_in,
                            input_length=self.input_length, final=final,
                            link_in=self.link_in, state_random=self.random_of(window.index),
                            params=self.params)
        self.state_in = state
        if len(final):
            self.link_in = int(np.asarray(final.addr)[-1])
        self.index += 1
        return state


__all__ = ["Handover", "handed_over", "row_state"]
