"""The execution trace the prover needs, and its layout.

One row per cycle. A cycle is one instruction, or one step of a multi-row syscall:
``read``/``write`` on the journal or the input take an ``ecall`` row (reading a7, a0),
an arguments row (reading a1, a2) and one row per memory word copied; the last of
them writes the result to a0. Every row has four memory-access *slots*, in this
order of time:

    slot 0  first register read  (rs1; a7 or a1 in a syscall)
    slot 1  second register read (rs2; a0 or a2 in a syscall)
    slot 2  the RAM word access  (loads, stores, words copied by read/write)
    slot 3  the register write   (rd; a0 for a syscall's result)

with timestamp ``ts = 4·clk + slot`` where ``clk = row + 1``, so timestamp 0 belongs to
the initial memory image. Addresses are word addresses: registers are 0..31, RAM is
``byte_address >> 2`` (≥ 0x400). For each used slot the row records the value before
(``prev``), the value after (``val``; equal to ``prev`` for a read) and the timestamp
of the previous access to the same word (``prev_ts``; 0 if never accessed). ``mask``
has bit ``s`` set when slot ``s`` is used and bit ``4 + s`` when it is a write. Reads
of x0 are recorded (they read 0); writes to x0 are dropped and not recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SLOTS = 4
SLOT_RS1, SLOT_RS2, SLOT_MEM, SLOT_RD = range(SLOTS)

# Row kinds.
KIND_INSTRUCTION = 0     # an instruction (including the ecall row of a syscall)
KIND_SYSCALL_ARGS = 1    # second row of read/write: a1 (buffer) and a2 (count)
KIND_SYSCALL_IO = 2      # one word copied by read (a write to RAM) or write (a read)

COLUMNS: tuple[str, ...] = (
    "pc", "insn", "next_pc", "kind", "mask",
    *(f"s{s}_{f}" for s in range(SLOTS) for f in ("addr", "prev_ts", "prev", "val")),
    # For KIND_SYSCALL_IO rows: offset of the first copied byte in the word (0..3),
    # number of bytes copied (1..4), and position of the first byte in the input or
    # journal stream.
    "io_offset", "io_length", "io_position",
)
COL = {name: i for i, name in enumerate(COLUMNS)}
C_PC, C_INSN, C_NEXT_PC, C_KIND, C_MASK = (COL[n] for n in ("pc", "insn", "next_pc", "kind", "mask"))
C_SLOT0 = COL["s0_addr"]          # slot s occupies columns C_SLOT0 + 4·s + (0..3)
C_IO_OFFSET, C_IO_LENGTH, C_IO_POSITION = (COL[n] for n in ("io_offset", "io_length", "io_position"))
N_COLUMNS = len(COLUMNS)


@dataclass(frozen=True)
class Trace:
    """A recorded execution: ``rows`` is uint32 of shape (cycles, N_COLUMNS), or one
    window of a run (``engine.vm.executor.Window``: its rows keep the run's global
    timestamps, so row ``r`` of the window is row ``first_row + r`` of the run)."""
    rows: np.ndarray

    def __len__(self) -> int:
        return self.rows.shape[0]

    def column(self, name: str) -> np.ndarray:
        """One column by name (a strided view; uint32, shape (cycles,))."""
        return self.rows[:, COL[name]]

    def slot(self, s: int, field: str) -> np.ndarray:
        """Field ``addr``/``prev_ts``/``prev``/``val`` of access slot ``s``."""
        return self.rows[:, C_SLOT0 + 4 * s + ("addr", "prev_ts", "prev", "val").index(field)]

    def used(self, s: int) -> np.ndarray:
        return (self.rows[:, C_MASK] >> s) & 1 == 1

    def written(self, s: int) -> np.ndarray:
        return (self.rows[:, C_MASK] >> (4 + s)) & 1 == 1
