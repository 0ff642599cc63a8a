"""Witness generation: an executor trace to the machine AIR's main trace.

``generate_witness(image, result)`` takes the public image and an
``engine.vm.ExecutionResult`` recorded with ``record_trace=True`` and returns a
:class:`MachineWitness`: the ``(n_main, H)`` main trace (random last ``zk_rows``
rows), the public values and the verifier's public messages. Everything is
vectorized with NumPy over the rows of each row kind; no Python loop runs per row.

The CPU and memory columns come straight from the trace (:mod:`engine.vm.trace`);
the ALU region (:mod:`engine.circuit.witness_alu`) and the syscall rows
(:mod:`engine.circuit.witness_syscalls`) recompute what the constraints need (the
executor does not record a result written to x0, for instance); the final memory
and the table multiplicities are derived last.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from engine.circuit import witness_alu, witness_syscalls
from engine.circuit.alu import BYTE_USERS, SIGN_BYTES
from engine.circuit.columns import FLAGS, INSTRUCTION_FLAGS, ROM_OPS
from engine.circuit.final_memory import FIRST_RAM_WORD, LAST_RAM_WORD
from engine.circuit.capacity import N_REGISTERS
from engine.circuit.image import MachineImage, image_messages
from engine.circuit.machine import build_air
from engine.circuit.memory import KIND_CODE, KIND_REG
from engine.circuit.program import CIRCUIT_CODE, ROM_FIELDS, rom_table
from engine.circuit.syscalls import journal_messages
from engine.circuit.tables import BYTE_TABLE_ROWS, TAG_MSB, TAG_U8, byte_table_row
from engine.field.babybear import bb_random
from engine.stark.air import Air, TraceShape
from engine.stark.check_constraints import CheckReport, check_constraints
from engine.stark.logup_trace import PublicMessages
from engine.stark.params import ProofParams
from engine.stark.protocol import trace_height_for
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
    ``publics``: public values by name. ``image``: the public data of the
    preprocessed columns. ``public_messages``: the image on the memory bus and the
    journal on the journal bus.
    """

    air: Air
    shape: TraceShape
    main: np.ndarray
    publics: dict[str, int]
    image: MachineImage
    journal: bytes
    public_messages: tuple[PublicMessages, ...] = field(default_factory=tuple)

    def preprocessed(self) -> np.ndarray:
        return self.air.compute_preprocessed(self.shape, self.image)

    def column(self, name: str) -> np.ndarray:
        """One main column by name (a view, uint32, ``(H,)``)."""
        return self.main[self.air.main_names.index(name)]

    def check(self, max_unmatched: int = 10) -> CheckReport:
        """The row checker's report on this witness."""
        return check_constraints(self.air, self.main, self.preprocessed(),
                                 self.air.publics_vector(self.publics),
                                 zk_rows=self.shape.zk_rows,
                                 public_messages=self.public_messages,
                                 max_unmatched=max_unmatched)


class Rows:
    """What witness generation knows about the real rows, and the columns it fills.

    ``t``: the trace as int64 ``(n, N_COLUMNS)``; ``flag``: each row's flag index in
    ``FLAGS``; ``matrix``: the main trace being filled, uint32 ``(n_main, H)``.
    """

    def __init__(self, air: Air, image: MachineImage, trace_rows: np.ndarray, height: int,
                 zk_rows: int, input_length: int = 0):
        self.image = image
        self.input_length = input_length
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


@njit(nogil=True, cache=True)
def _scatter_bits(matrix, start, count, rows, values):
    """``matrix[start + i, rows[j]] = (values[j] >> i) & 1`` for ``i < count``."""
    for j in range(rows.shape[0]):
        v = values[j]
        r = rows[j]
        for i in range(count):
            matrix[start + i, r] = (v >> i) & 1


def generate_witness(image: MachineImage, result, *, params: ProofParams = ProofParams(),  # noqa: B008
                     height: int | None = None,
                     rng: np.random.Generator | None = None) -> MachineWitness:
    """The machine AIR's witness for one recorded run of ``image``'s program.

    ``result``: an ``ExecutionResult`` with a trace. ``height``: the trace height
    (default: the smallest that fits the run, the final memory and the tables).
    ``rng``: randomness of the zero-knowledge rows (the prover replaces them anyway).
    Raises ``ValueError`` if the run is not a recorded, exited run of this image or
    does not fit ``height``.
    """
    if result.trace is None:
        raise ValueError("the run was not recorded: execute with record_trace=True")
    air = build_air()
    trace_rows = result.trace.rows
    final = _final_memory_rows(image, trace_rows)
    needed = max(len(trace_rows) + 1, len(final[0]) + 1, len(image.code_words), BYTE_TABLE_ROWS)
    if height is None:
        height = trace_height_for(needed, params)
    shape = TraceShape(height, params.zk_rows)
    if shape.real_rows < needed:
        raise ValueError(f"the run needs {needed} real rows; a trace of {height} rows has "
                         f"{shape.real_rows}")
    rows = Rows(air, image, trace_rows, height, params.zk_rows, result.input_length)
    _classify(rows)
    _cpu(rows)
    _memory(rows)
    witness_alu.fill(rows)
    witness_syscalls.fill(rows)
    _fill_final_memory(rows, final)
    _multiplicities(rows)

    main = rows.matrix
    main[:, shape.real_rows:] = bb_random(rng, (air.n_main, shape.zk_rows))
    exit_code = int(result.exit_code)
    publics, messages = public_inputs(image, exit_code, bytes(result.journal))
    return MachineWitness(air, shape, main, publics, image, bytes(result.journal), messages)


def public_inputs(image: MachineImage, exit_code: int, journal: bytes):
    """``(publics, public_messages)`` the verifier derives from a claim and the image."""
    publics = {"entry": image.entry, "exit_lo": exit_code & 0xFFFF, "exit_hi": exit_code >> 16,
               "journal_len": len(journal), "heap_lo": image.heap_start & 0xFFFF,
               "heap_hi": image.heap_start >> 16}
    return publics, (image_messages(image), journal_messages(journal))


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
    # An arguments row follows its ecall row; copy rows follow their arguments row.
    args = kind == KIND_SYSCALL_ARGS
    prev = np.flatnonzero(args) - 1
    fd = rows.slot(1, "prev")[prev]
    is_read = rows.flag[prev] == FLAGS.index("read")
    args_flag = np.where(is_read, FLAGS.index("args_r"),
                         np.where(fd == 1, FLAGS.index("args_wj"), FLAGS.index("args_wn")))
    rows.flag[args] = args_flag
    io = kind == KIND_SYSCALL_IO
    last_args = np.maximum.accumulate(np.where(args, np.arange(rows.n), -1))
    rows.flag[io] = np.where(rows.flag[last_args[io]] == FLAGS.index("args_r"),
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
    jpos = np.concatenate([[0], np.cumsum(journal_bytes)])
    rows.set_all("cpu.jpos", jpos[:-1])
    rows.col("cpu.jpos")[rows.n:] = jpos[-1]
    input_bytes = np.where(rows.is_("io_r"), t[:, C_IO_LENGTH], 0)
    ileft = rows.input_length - np.concatenate([[0], np.cumsum(input_bytes)])
    rows.set_all("cpu.ileft", ileft[:-1])
    rows.col("cpu.ileft")[rows.n:] = ileft[-1]
    rows.col("cpu.pc")[rows.n:] = t[-1, C_PC]


def _memory(rows: Rows) -> None:
    """Slot timestamps and values; values of unused slots stay 0."""
    clk4 = 4 * (np.arange(rows.n) + 1)
    for s, name in enumerate(("rs1", "rs2", "ram", "rd")):
        used = rows.used(s)
        prev_ts = rows.slot(s, "prev_ts")
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


# --- final memory and multiplicities -----------------------------------------------------

def _final_memory_rows(image: MachineImage, trace_rows: np.ndarray):
    """``(addr, ts, value, kind, zinit)`` of every word, sorted by address (int64)."""
    t = trace_rows.astype(np.int64)
    addr, value, kind = image.initial_words()
    parts = [(addr, np.zeros_like(addr), value, kind)]
    code = image.code_word_addresses()
    for s in range(4):
        used = (t[:, C_MASK] >> s) & 1 == 1
        a = t[used, C_SLOT0 + 4 * s]
        k = (np.where(np.isin(a, code), KIND_CODE, 0) if s == 2
             else np.full(a.size, KIND_REG))
        ts = 4 * (np.flatnonzero(used) + 1) + s
        parts.append((a, ts, t[used, C_SLOT0 + 4 * s + 3], k))
    a, ts, v, k = (np.concatenate(p) for p in zip(*parts))
    order = np.argsort(a << 26 | ts, kind="stable")     # word addresses < 2^30, ts < 2^26
    a, ts, v, k = a[order], ts[order], v[order], k[order]
    last = np.concatenate([a[1:] != a[:-1], [True]])
    zinit = ~np.isin(a[last], addr)
    return a[last], ts[last], v[last], k[last], zinit


def _fill_final_memory(rows: Rows, final) -> None:
    addr, ts, value, kind, zinit = final
    count = len(addr)
    if count < N_REGISTERS or not (addr[:N_REGISTERS] == np.arange(N_REGISTERS)).all():
        raise ValueError("the final memory must start with the 32 registers")
    ram = addr[N_REGISTERS:]
    if ram.size and (ram[0] < FIRST_RAM_WORD or ram[-1] > LAST_RAM_WORD):
        raise ValueError("the run touched a word outside guest memory")
    fm = rows.col
    fm("fm.addr")[:count] = addr
    fm("fm.ts")[:count] = ts
    fm("fm.lo")[:count] = value & 0xFFFF
    fm("fm.hi")[:count] = value >> 16
    fm("fm.ro")[:count] = kind == KIND_CODE
    fm("fm.real")[:count] = 1
    fm("fm.zinit")[:count] = zinit
    gap = np.empty(count, dtype=np.int64)
    gap[:-1] = addr[1:] - addr[:-1] - 1
    if count > N_REGISTERS:
        gap[N_REGISTERS - 1] = addr[N_REGISTERS] - FIRST_RAM_WORD
    gap[-1] = LAST_RAM_WORD - addr[-1]
    fm("fm.g0")[:count] = gap & 0xFF
    fm("fm.g1")[:count] = (gap >> 8) & 0xFF
    fm("fm.g2")[:count] = (gap >> 16) & 0xFF
    fm("fm.ga")[:count] = (gap >> 24) & 1
    fm("fm.gb")[:count] = (gap >> 25) & 1


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
    fm_real = rows.col("fm.real")[:real] == 1
    for k in range(3):
        lookups.append(byte_table_row(np.full(int(fm_real.sum()), TAG_U8),
                                      rows.col(f"fm.g{k}")[:real][fm_real]))
    entries = np.concatenate(lookups)
    if entries.size and (entries.min() < 0 or entries.max() >= BYTE_TABLE_ROWS):
        raise ValueError("a byte lookup is outside the byte table")
    rows.col("mult.byte")[:BYTE_TABLE_ROWS] = np.bincount(entries, minlength=BYTE_TABLE_ROWS)
