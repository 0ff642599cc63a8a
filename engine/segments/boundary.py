"""What crosses a window's boundary: its boundary table and its local timestamps.

A window (``engine.vm.executor.Window``) is rows ``[k·R, k·R + n)`` of a run, with
global timestamps ``ts = 4·(row + 1) + slot``. Its *boundary table* has one row per
memory word the window accesses (registers are words 0..31 of kind ``KIND_REG``, RAM
words ``byte_address >> 2`` of kind ``KIND_CODE`` when they hold a byte of an
executable range, else ``KIND_RAM``; ``engine.circuit.memory``), sorted by address:

    addr           the word address
    kind           KIND_RAM, KIND_CODE or KIND_REG
    in_value       the word's value when the window starts
    t_in           0 if no earlier window accessed the word (it holds its initial value:
                   the image's, or 0), else 1 + the index of the last window that did
    out_value      its value when the window ends
    last_local_ts  the window-local timestamp of its last access (``ts − 4·k·R``: as if
                   the window's first row were row 0)

It is computed from the window's rows alone: a word's first access in the window
records the value before it (``prev``, the in value) and the timestamp of the access
before it (``prev_ts``, in an earlier window: ``t_in`` is that window plus one), its
last access the value after it. docs/continuations.md is how the proof uses it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from engine.circuit.memory import KIND_CODE, KIND_RAM, KIND_REG
from engine.vm.executor import Window
from engine.vm.memory_map import WORD_COUNT
from engine.vm.program import Program
from engine.circuit.image import MachineImage
from engine.vm.trace import C_MASK, C_SLOT0, SLOTS, Trace

N_REGISTERS = 32


@dataclass(frozen=True, eq=False)
class BoundaryTable:
    """The boundary table of window ``index``: one entry per word it accesses, sorted
    by ``addr`` (strictly increasing). ``kind`` is uint8, the other columns uint32,
    all of one length."""
    index: int
    addr: np.ndarray
    kind: np.ndarray
    in_value: np.ndarray
    t_in: np.ndarray
    out_value: np.ndarray
    last_local_ts: np.ndarray

    def __len__(self) -> int:
        return self.addr.shape[0]


class BoundaryTableBuilder:
    """Computes the boundary tables of a run's windows, in any order.

    Holds one int32 scratch array indexed by word address (``WORD_COUNT`` entries,
    zero-initialised, so only the pages of words the run touches cost memory), the same
    size as the executor's ``mem_ts`` whatever the run's length; it is all zero again
    after each table.
    """

    def __init__(self, program: Program | MachineImage, rows_per_segment: int):
        if rows_per_segment < 1:
            raise ValueError("rows_per_segment must be at least 1")
        self.rows_per_segment = int(rows_per_segment)
        self.code_ranges = program.code_ranges
        self._entry = np.zeros(WORD_COUNT, dtype=np.int32)

    def table(self, window: Window) -> BoundaryTable:
        """The boundary table of ``window`` (a window of a run with this builder's
        ``rows_per_segment``). Raises ``ValueError`` if the window does not start at
        ``index · rows_per_segment``."""
        if window.first_row != window.index * self.rows_per_segment:
            raise ValueError(f"window {window.index} starts at row {window.first_row}, not at "
                             f"{window.index} * {self.rows_per_segment}")
        return self.table_of(window.index, window.trace.rows)

    def table_of(self, index: int, rows: np.ndarray) -> BoundaryTable:
        """The boundary table of window ``index`` given its trace rows (global
        timestamps): what :meth:`table` computes, for rows recorded another way (a
        whole run recorded at once is window 0)."""
        n = _number_words(rows, self._entry)
        addr = np.zeros(n, dtype=np.int64)
        in_value = np.zeros(n, dtype=np.int64)
        in_ts = np.zeros(n, dtype=np.int64)
        out_value = np.zeros(n, dtype=np.int64)
        last_ts = np.zeros(n, dtype=np.int64)
        _fill_words(rows, self._entry, addr, in_value, in_ts, out_value, last_ts)
        order = np.argsort(addr)
        addr, in_ts = addr[order], in_ts[order]
        return BoundaryTable(
            index=index,
            addr=addr.astype(np.uint32),
            kind=word_kinds(self.code_ranges, addr),
            in_value=in_value[order].astype(np.uint32),
            t_in=window_tags(in_ts, self.rows_per_segment).astype(np.uint32),
            out_value=out_value[order].astype(np.uint32),
            last_local_ts=last_ts[order].astype(np.uint32),
        )


def window_tags(ts: np.ndarray, rows_per_segment: int) -> np.ndarray:
    """For global timestamps ``ts`` (int64; 0 for the initial image): 0 for 0, else
    1 + the index of the window holding the access (int64, same shape)."""
    ts = np.asarray(ts, dtype=np.int64)
    return np.where(ts == 0, 0, 1 + ((ts >> 2) - 1) // rows_per_segment)


def word_kinds(code_ranges, addr: np.ndarray) -> np.ndarray:
    """The kind of each word address (uint8): KIND_REG below 32, KIND_CODE for a word
    holding a byte of one of ``code_ranges`` (sorted byte ranges ``(start, end)``),
    else KIND_RAM."""
    addr = np.asarray(addr, dtype=np.int64)
    kind = np.full(addr.shape, KIND_RAM, dtype=np.uint8)
    kind[addr < N_REGISTERS] = KIND_REG
    for lo, hi in code_ranges:
        kind[(addr >= lo >> 2) & (addr < (hi + 3) >> 2)] = KIND_CODE
    return kind


def local_trace(window: Window, in_place: bool = False) -> Trace:
    """The window's trace with window-local timestamps, as if its first row were row
    0: a ``prev_ts`` in the window becomes ``prev_ts − 4·first_row``, one in an earlier
    window (or 0) becomes 0 (the boundary table's in message stands for it). The
    other columns hold no timestamps and are unchanged. Returns a new trace unless
    ``in_place``, which rewrites the window's buffer."""
    rows = window.trace.rows if in_place else window.trace.rows.copy()
    _localize(rows, 4 * window.first_row)
    return Trace(rows)


@njit(nogil=True, cache=True)
def _localize(rows, shift):
    """``prev_ts`` of every slot: ``prev_ts − shift`` from ``shift + 4`` on (the
    window's first row), else 0; in place."""
    for r in range(rows.shape[0]):
        for s in range(SLOTS):
            column = C_SLOT0 + 4 * s + 1
            prev_ts = np.int64(rows[r, column])
            rows[r, column] = prev_ts - shift if prev_ts >= shift + 4 else 0


@njit(nogil=True, cache=True)
def _number_words(rows, entry):
    """Give each word the window accesses a number 1.. in order of first access
    (``entry[addr]``, which must be all zero); returns how many words there are."""
    n = 0
    for r in range(rows.shape[0]):
        mask = rows[r, C_MASK]
        for s in range(SLOTS):
            if (mask >> s) & 1:
                addr = rows[r, C_SLOT0 + 4 * s]
                if entry[addr] == 0:
                    n += 1
                    entry[addr] = n
    return n


@njit(nogil=True, cache=True)
def _fill_words(rows, entry, addr, in_value, in_ts, out_value, last_ts):
    """Fill one entry per numbered word: its first access's ``prev``/``prev_ts``, its
    last access's ``val`` and local timestamp; then zero ``entry`` again."""
    seen = np.zeros(addr.shape[0], dtype=np.bool_)
    for r in range(rows.shape[0]):
        mask = rows[r, C_MASK]
        for s in range(SLOTS):
            if (mask >> s) & 1:
                base = C_SLOT0 + 4 * s
                word = rows[r, base]
                e = entry[word] - 1
                if not seen[e]:
                    seen[e] = True
                    addr[e] = word
                    in_ts[e] = rows[r, base + 1]
                    in_value[e] = rows[r, base + 2]
                out_value[e] = rows[r, base + 3]
                last_ts[e] = 4 * (r + 1) + s
    for e in range(addr.shape[0]):
        entry[addr[e]] = 0
