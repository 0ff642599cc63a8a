"""Witness generation: one segment of an executor trace to the machine AIR's main trace.

``segment_witness(image, segment)`` takes the public image and a
:class:`SegmentRows` (a window of recorded rows with window-local timestamps, the
state the previous segment handed over, the segment's boundary table and its slice
of the final memory) and returns a :class:`MachineWitness`: the ``(n_main, H)`` main
trace (random last ``zk_rows`` rows), the public values, the verifier's public
messages for this segment and the state handed to the next segment. Everything is
vectorized with NumPy over the rows of each row kind; no Python loop runs per row.
(``engine.segments.witness`` builds the inputs from a run, and ``generate_witness``
there the witness of a whole recorded run as one segment.)

The CPU and memory columns come straight from the trace (:mod:`engine.vm.trace`);
the ALU region (:mod:`engine.circuit.witness_alu`) and the syscall rows
(:mod:`engine.circuit.witness_syscalls`) recompute what the constraints need (the
executor does not record a result written to x0, for instance). A segment that is
not the last is computed with the next segment's first row appended, whose values
are the state it hands over (``docs/continuations.md``); the boundary table, the
final memory and the table multiplicities are derived last.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from engine.circuit import witness_alu, witness_syscalls
from engine.circuit.alu import BYTE_USERS, SIGN_BYTES
from engine.circuit.boundary import STATE_COPIES
from engine.circuit.capacity import N_REGISTERS
from engine.circuit.columns import FLAGS, INSTRUCTION_FLAGS, ROM_OPS, ST_COLUMNS, SYSCALL_ROWS
from engine.circuit.final_table import FIRST_RAM_WORD, LAST_RAM_WORD
from engine.circuit.image import MachineImage, image_messages
from engine.circuit.machine import build_air
from engine.circuit.memory import KIND_CODE, SEGMENT_START_TS
from engine.circuit.program import CIRCUIT_CODE, ROM_FIELDS, program_image_messages, rom_table
from engine.circuit.syscalls import journal_messages
from engine.circuit.tables import BYTE_TABLE_ROWS, TAG_MSB, TAG_U8, byte_table_row
from engine.field.babybear import P, bb_random
from engine.stark.air import Air, TraceShape
from engine.stark.check_constraints import CheckReport, check_constraints
from engine.stark.logup_trace import PublicMessages
from engine.stark.params import ProofParams
from engine.vm.decode import F_OP
from engine.vm.trace import (
    C_IO_LENGTH,
    C_KIND,
    C_MASK,
    C_PC,
    C_SLOT0,
    KIND_INSTRUCTION,
    KIND_SYSCALL_ARGS,
    KIND_SYSCALL_IO,
)

_SYSCALL_FLAG = {63: "read", 64: "write", 93: "exit", 94: "exit", 214: "brk"}


@dataclass(frozen=True, eq=False)
class MachineWitness:
    """A main trace for the machine AIR and the public inputs that go with it.

    ``main``: ``(air.n_main, H)`` uint32 with random last ``shape.zk_rows`` rows.
    ``publics``: public values by name. ``image``: the program image the witness was
    made for. ``public_messages``: the segment's local public messages
    (:func:`segment_messages`: the journal slice, the program ROM's rows);
    ``global_messages``: the image on the global words bus (once per run).
    ``state_out``: the ``st`` values handed to the next segment (None for the last).
    """

    air: Air
    shape: TraceShape
    main: np.ndarray
    publics: dict[str, int]
    image: MachineImage
    journal: bytes
    public_messages: tuple[PublicMessages, ...] = field(default_factory=tuple)
    global_messages: tuple[PublicMessages, ...] = field(default_factory=tuple)
    state_out: np.ndarray | None = None

    def preprocessed(self) -> np.ndarray:
        """The preprocessed columns (fixed: the tables and selectors of the height)."""
        return self.air.compute_preprocessed(self.shape)

    def column(self, name: str) -> np.ndarray:
        """One main column by name (a view, uint32, ``(H,)``)."""
        return self.main[self.air.main_names.index(name)]

    def check(self, max_unmatched: int = 10) -> CheckReport:
        """The row checker's report on this witness (its local buses; the global ones
        balance only over a run's segments)."""
        return check_constraints(self.air, self.main, self.preprocessed(),
                                 self.air.publics_vector(self.publics),
                                 zk_rows=self.shape.zk_rows,
                                 public_messages=self.public_messages,
                                 max_unmatched=max_unmatched)


@dataclass(frozen=True)
class RowContext:
    """What the rows before a segment leave to its first rows: the journal position,
    the input left and the break; and, when the segment starts inside a read/write,
    which syscall row comes first (``flag``), the fd test its arguments row carries
    (``fdt``), and for copy rows the bytes left and the syscall's count."""
    jpos: int
    ileft: int
    brk: int
    flag: str | None = None
    fdt: int = 0
    left: int = 0
    count: int = 0

    @classmethod
    def initial(cls, image: MachineImage, input_length: int) -> RowContext:
        return cls(jpos=0, ileft=int(input_length), brk=image.heap_start)

    @classmethod
    def from_state(cls, state: np.ndarray) -> RowContext:
        """The context a segment starts from, given the ``st`` values (``ST_COLUMNS``)
        the previous segment handed over."""
        st = {name: int(v) for name, v in zip(ST_COLUMNS, np.asarray(state))}
        flags = [f for f in SYSCALL_ROWS if st[f]]
        return cls(jpos=st["jpos"], ileft=st["ileft"], brk=st["brk_lo"] | st["brk_hi"] << 16,
                   flag=flags[0] if flags else None, fdt=st["fdt"], left=st["left"],
                   count=st["cn_lo"] | st["cn_hi"] << 16)


@dataclass(frozen=True, eq=False)
class SegmentRows:
    """Everything segment ``index`` of ``count`` is made from (``engine.segments``
    builds it from a run).

    ``rows``: the window's trace rows with window-local timestamps (``(n, N_COLUMNS)``,
    ``engine.segments.local_trace``); ``next_row``: the next window's first row (None
    for the last segment); ``state_in``: the ``st`` values the previous segment handed
    over (None for segment 0, which starts from the image); ``input_length``: the
    private input's length (segment 0's ``ileft``). ``boundary``: the boundary table
    (attributes ``addr, kind, in_value, t_in, out_value, last_local_ts``, as
    ``engine.segments.BoundaryTable``); ``final``: this segment's slice of the final
    memory (``addr, kind, final_value, t_final, zinit``, as
    ``engine.segments.FinalTable``) and ``link_in`` the last address of the slices
    before it (-1 for segment 0). ``journal``, ``j_in``, ``j_out``: the run's journal
    and the bytes written before and by the end of the segment. ``state_random``: four
    field elements masking the state handed to the next segment.
    """
    index: int
    count: int
    rows: np.ndarray
    next_row: np.ndarray | None
    state_in: np.ndarray | None
    input_length: int
    boundary: object
    final: object
    link_in: int
    journal: bytes
    j_in: int
    j_out: int
    exit_code: int
    state_random: tuple[int, int, int, int] = (0, 0, 0, 0)


class Rows:
    """What witness generation knows about the real rows, and the columns it fills.

    ``t``: the trace as int64 ``(n, N_COLUMNS)``; ``flag``: each row's flag index in
    ``FLAGS``; ``matrix``: the main trace being filled, uint32 ``(n_main, H)``.
    """

    def __init__(self, air: Air, image: MachineImage, trace_rows: np.ndarray, height: int,
                 zk_rows: int, context: RowContext):
        self.image = image
        self.context = context
        self.t = trace_rows.astype(np.int64)
        self.n = self.t.shape[0]
        self.height = height
        self.real = height - zk_rows
        self.index = {name: k for k, name in enumerate(air.main_names)}
        # uint32 from the start: a 2^22-row trace is 3.3 GB as it is. Every value written
        # is canonical; a stray negative one would wrap above p and be refused by the
        # row checker and the prover.
        self.matrix = np.zeros((air.n_main, height), dtype=np.uint32)
        self.flag = np.full(self.n, -1, dtype=np.int64)
        self._by_flag: dict[str, np.ndarray] = {}

    def col(self, name: str) -> np.ndarray:
        """Column ``name`` (a writable view of all ``H`` rows)."""
        return self.matrix[self.index[name]]

    def set(self, name: str, mask, values) -> None:
        """``name[row] = values`` on the real rows selected by ``mask`` (bool (n,))."""
        self.col(name)[:self.n][mask] = values

    def set_all(self, name: str, values) -> None:
        self.col(name)[:self.n] = values

    def get(self, name: str) -> np.ndarray:
        """The real rows of a column, as int64 (a copy)."""
        return self.col(name)[:self.n].astype(np.int64)

    def is_(self, *flags: str) -> np.ndarray:
        """Rows whose flag is one of ``flags`` (bool (n,)); call after ``flag`` is final."""
        out = np.zeros(self.n, dtype=bool)
        for f in flags:
            if f not in self._by_flag:
                self._by_flag[f] = self.flag == FLAGS.index(f)
            out |= self._by_flag[f]
        return out

    def set_bits(self, first: str, mask: np.ndarray, values: np.ndarray, count: int = 32) -> None:
        """Write the ``count`` low bits of ``values`` to the consecutive columns starting
        at ``first`` (``alu.x0``, ``alu.y0``) on the masked rows."""
        values = np.ascontiguousarray(values, dtype=np.int64)
        _scatter_bits(self.matrix, self.index[first], count, np.flatnonzero(mask), values)

    def slot(self, s: int, what: str) -> np.ndarray:
        return self.t[:, C_SLOT0 + 4 * s + ("addr", "prev_ts", "prev", "val").index(what)]

    def used(self, s: int) -> np.ndarray:
        return (self.t[:, C_MASK] >> s) & 1 == 1

    def truncate(self, n: int) -> None:
        """Drop the rows from ``n`` on (the appended next row, once its values are
        read); their matrix columns are zeroed."""
        self.matrix[:, n:self.n] = 0
        self.t, self.flag, self.n = self.t[:n], self.flag[:n], n
        self._by_flag.clear()


@njit(nogil=True, cache=True)
def _scatter_bits(matrix, start, count, rows, values):
    """``matrix[start + i, rows[j]] = (values[j] >> i) & 1`` for ``i < count``."""
    for j in range(rows.shape[0]):
        v = values[j]
        r = rows[j]
        for i in range(count):
            matrix[start + i, r] = (v >> i) & 1


def segment_witness(image: MachineImage, segment: SegmentRows, *,
                    params: ProofParams = ProofParams(),  # noqa: B008
                    height: int, rng: np.random.Generator | None = None) -> MachineWitness:
    """The machine AIR's witness for one segment of a recorded run of ``image``'s
    program, in a trace of ``height`` rows.

    ``rng``: randomness of the zero-knowledge rows (the prover replaces them anyway).
    Raises ``ValueError`` if the rows are not a recorded, exited run of this image or do
    not fit ``height``.
    """
    air = build_air()
    shape = TraceShape(height, params.zk_rows)
    n = segment.rows.shape[0]
    last = segment.index == segment.count - 1
    if last != (segment.next_row is None):
        raise ValueError("every segment but the last needs the next segment's first row")
    needed = {"execution": n, "boundary table": len(segment.boundary.addr),
              "final memory": len(segment.final.addr), "program": len(image.code_words),
              "byte table": BYTE_TABLE_ROWS}
    for what, count in needed.items():
        if count > shape.real_rows:
            raise ValueError(f"the segment's {what} needs {count:,} real rows; a trace of "
                             f"{height:,} rows has {shape.real_rows:,}")
    if not last and n != shape.real_rows:
        raise ValueError(f"a segment that is not the last fills all {shape.real_rows} real "
                         f"rows; this one has {n}")
    if segment.index == 0:
        context = RowContext.initial(image, segment.input_length)
    else:
        if segment.state_in is None:
            raise ValueError("a segment after the first needs the state handed over")
        context = RowContext.from_state(segment.state_in)
    trace_rows = segment.rows
    if not last:
        following = np.array(segment.next_row, dtype=np.uint32).copy()
        for slot in range(4):
            following[C_SLOT0 + 4 * slot + 1] = 0  # its timestamps belong to the next segment
        trace_rows = np.concatenate([trace_rows, following[None, :]])
    rows = Rows(air, image, trace_rows, height, params.zk_rows, context)
    _classify(rows)
    _cpu(rows)
    _memory(rows)
    # Every segment before this one is full (the prover cuts a run into segments of one
    # height), so the run's rows before it are index · real rows.
    first_cycle = segment.index * shape.real_rows
    witness_alu.fill(rows, first_cycle)
    witness_syscalls.fill(rows)
    state_out = None
    if not last:
        state_out = _state_of_row(rows, n)
        rows.truncate(n)
    _fill_state(rows, segment, state_out, shape)
    _fill_rom(rows)
    _fill_boundary(rows, segment)
    _fill_final(rows, segment, shape)
    _multiplicities(rows)

    main = rows.matrix
    main[:, shape.real_rows:] = bb_random(rng, (air.n_main, shape.zk_rows))
    publics = segment_publics(image, segment.exit_code, segment.index, segment.count,
                              segment.j_in, segment.j_out, first_cycle)
    journal = bytes(segment.journal)
    messages = segment_messages(image, journal, segment.j_in, segment.j_out)
    return MachineWitness(air, shape, main, publics, image, journal, messages,
                          (image_messages(image),), state_out)


def segment_messages(image: MachineImage, journal: bytes, j_in: int,
                     j_out: int) -> tuple[PublicMessages, ...]:
    """The public messages on a segment's local buses, which the verifier derives from
    the image and the journal, in O(code words + journal bytes): the segment's journal
    slice ``journal[j_in:j_out]`` on the journal bus, and the program ROM's rows on the
    program-image bus (:func:`engine.circuit.program.program_image_messages`), which
    bind the ROM region to the image."""
    return (journal_messages(journal, j_in, j_out), program_image_messages(image))


def segment_publics(image: MachineImage, exit_code: int, index: int, count: int, j_in: int,
                    j_out: int, first_cycle: int = 0) -> dict[str, int]:
    """The public values of segment ``index`` of ``count``, which the verifier derives
    from the claim, the image, the journal positions the receipt states and the heights
    of the segments before it (``first_cycle``: their real rows in all)."""
    return {"entry": image.entry, "exit_lo": exit_code & 0xFFFF, "exit_hi": exit_code >> 16,
            "heap_lo": image.heap_start & 0xFFFF, "heap_hi": image.heap_start >> 16,
            "segment": index, "is_first": int(index == 0), "is_last": int(index == count - 1),
            "j_in": j_in, "j_out": j_out, "first_cycle": first_cycle}


# --- rows and CPU ------------------------------------------------------------------------

def _classify(rows: Rows) -> None:
    t, image = rows.t, rows.image
    kind = t[:, C_KIND]
    instr = kind == KIND_INSTRUCTION
    index = (t[:, C_PC] - image.code_base) >> 2
    ops = image.code[np.where(instr, index, 0), F_OP]
    code = CIRCUIT_CODE[ops]
    rows.flag[instr] = _flag_ids(code[instr])
    ecall = instr & (code == ROM_OPS.index("ecall") + 1)
    a7 = rows.slot(0, "prev")
    sys_flag = np.full(rows.n, FLAGS.index("other"))
    for number, name in _SYSCALL_FLAG.items():
        sys_flag[a7 == number] = FLAGS.index(name)
    rows.flag[ecall] = sys_flag[ecall]
    # An arguments row follows its ecall row; copy rows follow their arguments row. A
    # segment may start with either: the state handed over says which (context.flag).
    context = rows.context
    args = kind == KIND_SYSCALL_ARGS
    prev = np.flatnonzero(args) - 1
    fd = rows.slot(1, "prev")[np.maximum(prev, 0)]
    is_read = rows.flag[np.maximum(prev, 0)] == FLAGS.index("read")
    args_flag = np.where(is_read, FLAGS.index("args_r"),
                         np.where(fd == 1, FLAGS.index("args_wj"), FLAGS.index("args_wn")))
    if prev.size and prev[0] < 0:
        if context.flag not in ("args_r", "args_wj", "args_wn"):
            raise ValueError("the segment starts with an arguments row its state does not expect")
        args_flag[0] = FLAGS.index(context.flag)
    rows.flag[args] = args_flag
    io = kind == KIND_SYSCALL_IO
    last_args = np.maximum.accumulate(np.where(args, np.arange(rows.n), -1))
    group_flag = rows.flag[np.maximum(last_args, 0)]
    if io.any() and last_args[np.flatnonzero(io)[0]] < 0:
        if context.flag not in ("io_r", "io_w"):
            raise ValueError("the segment starts with a copy row its state does not expect")
        group_flag = np.where(last_args < 0,
                              FLAGS.index("args_r" if context.flag == "io_r" else "args_wj"),
                              group_flag)
    rows.flag[io] = np.where(group_flag[io] == FLAGS.index("args_r"),
                             FLAGS.index("io_r"), FLAGS.index("io_w"))
    if (rows.flag < 0).any():
        bad = int(np.flatnonzero(rows.flag < 0)[0])
        raise ValueError(f"row {bad} executes a word that is not an instruction of the image")


def _flag_ids(codes: np.ndarray) -> np.ndarray:
    """Instruction flag index for each circuit code (ecall rows refined later)."""
    lookup = np.full(len(ROM_OPS) + 1, -1, dtype=np.int64)
    for k, name in enumerate(ROM_OPS, start=1):
        lookup[k] = FLAGS.index("other" if name == "ecall" else name)
    return lookup[codes]


def _cpu(rows: Rows) -> None:
    t, image = rows.t, rows.image
    for k, name in enumerate(FLAGS):
        rows.set_all(f"op.{name}", rows.flag == k)
    rows.set_all("cpu.pc", t[:, C_PC])
    instr = rows.is_(*INSTRUCTION_FLAGS)
    rom = rom_table(image)
    index = (t[:, C_PC] - image.code_base) >> 2
    for k, name in enumerate(ROM_FIELDS):
        if name in ("pc", "op"):
            continue
        rows.set(f"cpu.{name}", instr, rom[k, index[instr]])
    rows.set("cpu.wr", rows.is_("brk", "other"), 1)
    args = rows.is_("args_r", "args_wj", "args_wn")
    syscall = args | rows.is_("io_r", "io_w")
    rows.set("cpu.rs1", args, 11)
    rows.set("cpu.rs2", args, 12)
    rows.set("cpu.rd", syscall, 10)
    rows.set("cpu.use_rs2", args, 1)
    rows.set("cpu.wr", syscall, (t[syscall, C_MASK] >> 7) & 1)
    journal_bytes = np.where(rows.is_("io_w"), t[:, C_IO_LENGTH], 0)
    jpos = rows.context.jpos + np.concatenate([[0], np.cumsum(journal_bytes)])
    rows.set_all("cpu.jpos", jpos[:-1])
    rows.col("cpu.jpos")[rows.n:] = jpos[-1]
    input_bytes = np.where(rows.is_("io_r"), t[:, C_IO_LENGTH], 0)
    ileft = rows.context.ileft - np.concatenate([[0], np.cumsum(input_bytes)])
    rows.set_all("cpu.ileft", ileft[:-1])
    rows.col("cpu.ileft")[rows.n:] = ileft[-1]
    rows.col("cpu.pc")[rows.n:] = t[-1, C_PC]


def _memory(rows: Rows) -> None:
    """Slot timestamps and values; values of unused slots stay 0."""
    clk4 = 4 * (np.arange(rows.n) + 1)
    for s, name in enumerate(("rs1", "rs2", "ram", "rd")):
        used = rows.used(s)
        prev_ts = rows.slot(s, "prev_ts")
        # 0: the value the segment started with, sent by the boundary table.
        prev_ts = np.where(prev_ts == 0, SEGMENT_START_TS, prev_ts)
        d = clk4 + s - prev_ts - 1
        rows.set(f"mem.{name}_prev_ts", used, prev_ts[used])
        rows.set(f"mem.{name}_q", used, d[used] >> 2)
        rows.set(f"mem.{name}_e0", used, d[used] & 1)
        rows.set(f"mem.{name}_e1", used, (d[used] >> 1) & 1)
    for s, prefix in ((0, "a"), (1, "b")):
        used = rows.used(s)
        value = rows.slot(s, "prev")
        rows.set(f"mem.{prefix}_lo", used, value[used] & 0xFFFF)
        rows.set(f"mem.{prefix}_hi", used, value[used] >> 16)
    ram = rows.used(2)
    rows.set("mem.w", ram, rows.slot(2, "addr")[ram])
    rows.set("mem.n_lo", ram, rows.slot(2, "val")[ram] & 0xFFFF)
    rows.set("mem.n_hi", ram, rows.slot(2, "val")[ram] >> 16)
    code = rows.image.code_word_addresses()
    rows.set("mem.ro", ram, np.isin(rows.slot(2, "addr")[ram], code))
    rd = rows.used(3)
    rows.set("mem.p_lo", rd, rows.slot(3, "prev")[rd] & 0xFFFF)
    rows.set("mem.p_hi", rd, rows.slot(3, "prev")[rd] >> 16)
    rows.set("mem.c_lo", rd, rows.slot(3, "val")[rd] & 0xFFFF)
    rows.set("mem.c_hi", rd, rows.slot(3, "val")[rd] >> 16)


# --- state, boundary table, final memory and multiplicities ------------------------

def _state_of_row(rows: Rows, r: int) -> np.ndarray:
    """The machine part of ``st`` read off row ``r`` (the appended next row)."""
    out = np.zeros(len(ST_COLUMNS), dtype=np.uint32)
    for name, column in STATE_COPIES.items():
        out[ST_COLUMNS.index(name)] = rows.col(column)[r]
    out[ST_COLUMNS.index("instr")] = int(rows.is_(*INSTRUCTION_FLAGS)[r])
    return out


def _fill_state(rows: Rows, segment: SegmentRows, state_out, shape: TraceShape) -> None:
    """``st`` on row 0 (what was handed over) and on the last real row (what is handed
    on: the next row's quantities, the final memory's last address, the mask)."""
    if segment.state_in is not None:
        for k, name in enumerate(ST_COLUMNS):
            rows.col(f"st.{name}")[0] = segment.state_in[k]
    if state_out is not None:
        last = shape.real_rows - 1
        final = np.asarray(segment.final.addr, dtype=np.int64)
        link = int(final[-1]) if final.size else segment.link_in
        state_out[ST_COLUMNS.index("link")] = link % P
        for k in range(4):
            state_out[ST_COLUMNS.index(f"r{k}")] = int(segment.state_random[k]) % P
        for k, name in enumerate(ST_COLUMNS):
            rows.col(f"st.{name}")[last] = state_out[k]


def _fill_rom(rows: Rows) -> None:
    """The program ROM: the image's decoded words in rows ``0 .. n - 1``, zeros in the
    other real rows (``engine.circuit.program``)."""
    table = rom_table(rows.image)
    for k, name in enumerate(ROM_FIELDS):
        rows.col(f"rom.{name}")[:table.shape[1]] = table[k]


def _fill_boundary(rows: Rows, segment: SegmentRows) -> None:
    table = segment.boundary
    count = len(table.addr)
    col = rows.col
    col("bt.addr")[:count] = table.addr
    col("bt.kind")[:count] = table.kind
    value_in = np.asarray(table.in_value, dtype=np.int64)
    value_out = np.asarray(table.out_value, dtype=np.int64)
    col("bt.in_lo")[:count] = value_in & 0xFFFF
    col("bt.in_hi")[:count] = value_in >> 16
    col("bt.out_lo")[:count] = value_out & 0xFFFF
    col("bt.out_hi")[:count] = value_out >> 16
    col("bt.t_in")[:count] = table.t_in
    col("bt.real")[:count] = 1
    col("bx.last_ts")[:count] = table.last_local_ts
    back = segment.index - np.asarray(table.t_in, dtype=np.int64)
    if back.size and (back.min() < 0 or back.max() >= 1 << 24):
        raise ValueError("a boundary word's tag is not an earlier segment")
    for k in range(3):
        col(f"bx.c{k}")[:count] = (back >> (8 * k)) & 0xFF


def _fill_final(rows: Rows, segment: SegmentRows, shape: TraceShape) -> None:
    final = segment.final
    addr = np.asarray(final.addr, dtype=np.int64)
    count = addr.size
    if segment.index == 0 and (count <= N_REGISTERS
                               or not (addr[:N_REGISTERS] == np.arange(N_REGISTERS)).all()):
        raise ValueError("the final memory must start with the 32 registers and a RAM word")
    ram = addr[N_REGISTERS:] if segment.index == 0 else addr
    if ram.size and (ram[0] < FIRST_RAM_WORD or ram[-1] > LAST_RAM_WORD):
        raise ValueError("the run touched a word outside guest memory")
    col = rows.col
    value = np.asarray(final.final_value, dtype=np.int64)
    col("ft.addr")[:count] = addr
    col("ft.ro")[:count] = np.asarray(final.kind) == KIND_CODE
    col("ft.lo")[:count] = value & 0xFFFF
    col("ft.hi")[:count] = value >> 16
    col("ft.t")[:count] = final.t_final
    col("ft.real")[:count] = 1
    col("ft.zinit")[:count] = final.zinit
    prev = np.concatenate([[segment.link_in], addr[:-1]])
    gap = addr - prev - 1
    if segment.index == 0 and count > N_REGISTERS:
        gap[N_REGISTERS] = addr[N_REGISTERS] - FIRST_RAM_WORD
    if gap.size and (gap.min() < 0 or gap.max() >= 1 << 26):
        raise ValueError("the final memory's addresses do not increase")
    last = addr[-1] if count else segment.link_in
    carried = np.full(shape.height, last, dtype=np.int64)
    carried[:count] = prev
    col("fx.prev")[:] = carried % P
    for name, value_ in (("a", addr), ("g", gap)):
        for k in range(3):
            col(f"fx.{name}{k}")[:count] = (value_ >> (8 * k)) & 0xFF
    col("fx.aa")[:count] = (addr >> 24) & 1
    col("fx.ab")[:count] = (addr >> 25) & 1
    col("fx.ga")[:count] = (gap >> 24) & 1
    col("fx.gb")[:count] = (gap >> 25) & 1


def _multiplicities(rows: Rows) -> None:
    n, real = rows.n, rows.real
    instr = rows.is_(*INSTRUCTION_FLAGS)
    index = (rows.t[instr, C_PC] - rows.image.code_base) >> 2
    rows.col("mult.rom")[:len(rows.image.code_words)] = np.bincount(
        index, minlength=len(rows.image.code_words))
    qs = [rows.get(f"mem.{s}_q")[rows.used(k)] for k, s in enumerate(("rs1", "rs2", "ram", "rd"))]
    q = np.concatenate(qs)
    if q.size and q.max() >= real:
        raise ValueError("a timestamp difference does not fit the range table")
    rows.col("mult.range")[:real] = np.bincount(q, minlength=real)
    lookups = []
    signed_div = rows.is_("div", "rem")
    for j, users in BYTE_USERS.items():
        used = rows.is_(*users)
        tag = np.where(signed_div, TAG_MSB, TAG_U8) if j in SIGN_BYTES else np.full(n, TAG_U8)
        lookups.append(byte_table_row(tag[used], rows.get(f"alu.u{j}")[used]))
    for region, columns in (("bt", ("bx.c0", "bx.c1", "bx.c2")),
                            ("ft", ("fx.a0", "fx.a1", "fx.a2", "fx.g0", "fx.g1", "fx.g2"))):
        used = rows.col(f"{region}.real")[:real] == 1
        for column in columns:
            lookups.append(byte_table_row(np.full(int(used.sum()), TAG_U8),
                                          rows.col(column)[:real][used]))
    entries = np.concatenate(lookups)
    if entries.size and (entries.min() < 0 or entries.max() >= BYTE_TABLE_ROWS):
        raise ValueError("a byte lookup is outside the byte table")
    rows.col("mult.byte")[:BYTE_TABLE_ROWS] = np.bincount(entries, minlength=BYTE_TABLE_ROWS)
