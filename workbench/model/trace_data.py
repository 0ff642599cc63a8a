"""What the trace plots show, computed from a trace's named columns (NumPy, no Qt).

A ``TraceView`` holds named uint32 columns of equal length, one row per cycle: the
executor's trace (``engine.vm.trace``) or, once proving exists, the columns of the
prover's trace. Everything here is vectorized so that a 2^22-row trace is analysed in
a fraction of a second, off the GUI thread.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Opcode classes of the heatmap, by the RISC-V major opcode (insn & 0x7f) and, for
# rows that belong to a multi-row syscall, by the row kind.
OPCODE_CLASSES: tuple[str, ...] = (
    "ALU reg", "ALU imm", "mul/div", "load", "store", "branch", "jump", "lui/auipc",
    "syscall", "other",
)
(CLASS_ALU, CLASS_ALU_IMM, CLASS_MULDIV, CLASS_LOAD, CLASS_STORE, CLASS_BRANCH, CLASS_JUMP,
 CLASS_UPPER, CLASS_SYSCALL, CLASS_OTHER) = range(len(OPCODE_CLASSES))

_MAJOR_TO_CLASS = np.full(128, CLASS_OTHER, dtype=np.uint8)
_MAJOR_TO_CLASS[0x33] = CLASS_ALU
_MAJOR_TO_CLASS[0x13] = CLASS_ALU_IMM
_MAJOR_TO_CLASS[0x03] = CLASS_LOAD
_MAJOR_TO_CLASS[0x23] = CLASS_STORE
_MAJOR_TO_CLASS[0x63] = CLASS_BRANCH
_MAJOR_TO_CLASS[0x6F] = CLASS_JUMP
_MAJOR_TO_CLASS[0x67] = CLASS_JUMP
_MAJOR_TO_CLASS[0x37] = CLASS_UPPER
_MAJOR_TO_CLASS[0x17] = CLASS_UPPER
_MAJOR_TO_CLASS[0x73] = CLASS_SYSCALL

# ABI names of the integer registers, for the register picker.
REGISTER_NAMES: tuple[str, ...] = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
    "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
    "t3", "t4", "t5", "t6",
)

# Where the pc is: the executor's trace, then the machine AIR's main trace.
PC_COLUMNS = ("pc", "cpu.pc")

# Slot 3 of a row is the register write, slot 2 the RAM access (engine/vm/trace.py).
_SLOT_RAM, _SLOT_RD = 2, 3
HEATMAP_BINS = 512
MAX_SCATTER_POINTS = 25_000


@dataclass
class TraceView:
    """Named columns of one trace (uint32, shape (rows,)) and what is derived from them.

    ``op_class`` (uint8, one per row) and ``heatmap`` (float32, shape
    (len(OPCODE_CLASSES), bins), the fraction of each bin's cycles in each class) are
    filled by ``from_columns`` when the trace has ``insn`` (and optionally ``kind``);
    ``register_writes`` (cycle uint32, register uint8, value uint32 per register write,
    in cycle order) when it has the executor's access slots. Both are computed once, off
    the GUI thread, because the columns of a row-major trace are strided views.
    ``random_rows`` is how many rows at the end of a committed trace are random (zero
    knowledge), not part of the run. ``segment`` names the segment a committed trace
    is of (``"segment 4 of 37"``) when the run was proved in several, else "".
    """
    columns: dict[str, np.ndarray]
    rows: int
    op_class: np.ndarray | None = None
    heatmap: np.ndarray | None = None
    register_writes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    source: str = "execution"
    random_rows: int = 0
    segment: str = ""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_columns(cls, names, arrays, source: str = "execution") -> TraceView:
        """Build a view from parallel ``names`` and 1-D ``arrays`` (or a 2-D array's columns)."""
        columns = {str(n): np.asarray(a) for n, a in zip(names, arrays)}
        lengths = {a.shape[0] for a in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"trace columns differ in length: {sorted(lengths)}")
        rows = lengths.pop() if lengths else 0
        view = cls(columns=columns, rows=rows, source=source)
        if "insn" in columns:
            view.op_class = opcode_classes(columns["insn"], columns.get("kind"))
            view.heatmap = class_heatmap(view.op_class, min(HEATMAP_BINS, max(rows, 1)))
        if all(n in columns for n in ("mask", f"s{_SLOT_RD}_addr", f"s{_SLOT_RD}_val")):
            view.register_writes = _register_writes(columns)
        return view

    @classmethod
    def from_trace(cls, trace) -> TraceView:
        """A view of an ``engine.vm.trace.Trace`` (its columns are views, not copies)."""
        from engine.vm.trace import COLUMNS
        return cls.from_columns(COLUMNS, (trace.rows[:, i] for i in range(len(COLUMNS))))

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    @property
    def pc(self) -> np.ndarray | None:
        """The pc column: ``pc`` in the executor's trace, ``cpu.pc`` in the machine AIR's."""
        for name in PC_COLUMNS:
            if name in self.columns:
                return self.columns[name]
        return None


def opcode_classes(insn: np.ndarray, kind: np.ndarray | None = None) -> np.ndarray:
    """The class of each row (uint8 indices into ``OPCODE_CLASSES``).

    ``insn`` holds raw instruction words; rows whose ``kind`` is non-zero are the extra
    rows of a syscall and count as ``syscall``.
    """
    insn = np.asarray(insn, dtype=np.uint32)
    classes = _MAJOR_TO_CLASS[insn & 0x7F]
    muldiv = ((insn & 0x7F) == 0x33) & ((insn >> 25) == 1)
    classes[muldiv] = CLASS_MULDIV
    if kind is not None:
        classes[np.asarray(kind) != 0] = CLASS_SYSCALL
    return classes


def class_heatmap(classes: np.ndarray, bins: int) -> np.ndarray:
    """Fraction of each cycle bin spent in each class: float32, shape (classes, bins).

    Rows are split into ``bins`` nearly equal consecutive bins; every column sums to 1
    (or 0 for an empty trace).
    """
    n = classes.shape[0]
    out = np.zeros((len(OPCODE_CLASSES), bins), dtype=np.float32)
    if n == 0:
        return out
    bin_of_row = (np.arange(n, dtype=np.int64) * bins) // n
    counts = np.bincount(classes.astype(np.int64) * bins + bin_of_row,
                         minlength=len(OPCODE_CLASSES) * bins).reshape(len(OPCODE_CLASSES), bins)
    totals = counts.sum(axis=0)
    np.divide(counts, totals, out=out, where=totals > 0)
    return out


def register_series(view: TraceView, register: int) -> tuple[np.ndarray, np.ndarray]:
    """Values register ``x<register>`` takes over time, as a step series.

    Returns ``(cycles, values)`` (int64, uint32): the value before cycle 0 (0, or the
    initial stack pointer for ``sp``) and then each write, at the cycle that made it.
    """
    if not 0 <= register < 32:
        raise ValueError(f"no register x{register}")
    cycles, registers, values = view.register_writes or _register_writes(view.columns)
    mine = registers == register
    initial = np.uint32(0x0C00_0000 if register == 2 else 0)
    return (np.concatenate(([0], cycles[mine])).astype(np.int64),
            np.concatenate(([initial], values[mine])).astype(np.uint32))


def _register_writes(columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every register write: (cycle uint32, register uint8, value uint32), cycle order."""
    written = ((columns["mask"] >> (4 + _SLOT_RD)) & 1).astype(bool)
    cycles = np.flatnonzero(written)
    return (cycles.astype(np.uint32), columns[f"s{_SLOT_RD}_addr"][cycles].astype(np.uint8),
            columns[f"s{_SLOT_RD}_val"][cycles].astype(np.uint32))


def memory_accesses(view: TraceView, max_points: int = MAX_SCATTER_POINTS):
    """RAM accesses for a scatter plot: ``(cycles, byte_addresses, is_store, stride)``.

    At most ``max_points`` accesses are returned, taking every ``stride``-th one so the
    picture keeps its shape; ``stride`` is 1 when nothing was dropped.
    """
    mask = view.columns["mask"]
    used = ((mask >> _SLOT_RAM) & 1).astype(bool)
    cycles = np.flatnonzero(used)
    stride = max(1, -(-cycles.shape[0] // max_points))
    cycles = cycles[::stride]
    addresses = view.columns[f"s{_SLOT_RAM}_addr"][cycles].astype(np.int64) << 2
    is_store = ((mask[cycles] >> (4 + _SLOT_RAM)) & 1).astype(bool)
    return cycles.astype(np.int64), addresses, is_store, stride


def class_totals(view: TraceView) -> np.ndarray:
    """Cycles per opcode class (int64, one per ``OPCODE_CLASSES`` entry)."""
    if view.op_class is None:
        return np.zeros(len(OPCODE_CLASSES), dtype=np.int64)
    return np.bincount(view.op_class, minlength=len(OPCODE_CLASSES)).astype(np.int64)
