"""The column layout of the RV32IM machine AIR: every column, by region.

One trace, one row index. The regions (``docs/circuit.md`` has the full table):

* ``op.*`` — one boolean flag per circuit operation and per syscall row kind; at most
  one is set on a row, none on a padding row (:mod:`engine.circuit.cpu`);
* ``cpu.*`` — pc, the decoded fields the program ROM vouches for, the journal position;
* ``mem.*`` — the four memory-access slots (rs1 read, rs2 read, RAM word, rd write):
  previous timestamps with their range-check decomposition, values
  (:mod:`engine.circuit.memory`);
* ``alu.*`` — the shared "aux" region whose meaning depends on the row's operation:
  two 32-bit bit vectors ``x``/``y`` (always boolean), carries, byte columns ``u``
  that are range-checked through the byte bus, and general helpers ``h``
  (:mod:`engine.circuit.alu`, :mod:`engine.circuit.muldiv`, :mod:`engine.circuit.syscalls`);
* ``mult.*`` — multiplicities of the lookup tables (ROM, byte table, range table);
* ``rom.*`` — the program ROM: one row per code word, then all-zero rows; the
  verifier balances its rows against the image (:mod:`engine.circuit.program`).

A segment's trace (``docs/continuations.md``) also holds, in *stage 0* (committed first,
the only columns the global buses read):

* ``st.*`` — the machine state crossing a boundary: on the first row what the previous
  segment handed over, on the last row what the next segment must start from
  (:mod:`engine.circuit.boundary`);
* ``bt.*`` — the boundary table, one row per memory word the segment touches
  (:mod:`engine.circuit.boundary`), with ``bx.*`` outside stage 0;
* ``ft.*`` — this segment's slice of the run's final memory
  (:mod:`engine.circuit.final_table`), with ``fx.*`` outside stage 0.

Preprocessed columns, all *fixed* (they depend on the trace height alone, so their
commitment is a key of the AIR, the parameters and the height, :mod:`engine.stark.keys`):
``table.*`` (byte table and row index, :mod:`engine.circuit.tables`), ``sel.*`` (row
selectors, :mod:`engine.circuit.boundary`).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.stark.air import AirBuilder, ColumnGroup
from engine.stark.symbolic import Expr

# Operations the program ROM names (code = position + 1; 0 is "not an instruction").
# Immediate forms share their register form's flag: the ROM gives the immediate and
# whether rs2 is read. LUI, AUIPC, JAL and FENCE are one operation, CONST: rd gets a
# value the ROM computed (imm, pc + imm, pc + 4) and the pc moves to a ROM target.
# RDCYCLE reads the cycle counter (rdcycle, rdtime, rdinstret; engine.circuit.cpu).
ROM_OPS = ("add", "sub", "slt", "sltu", "xor", "or", "and", "sll", "srl", "sra",
           "beq", "bne", "blt", "bge", "bltu", "bgeu",
           "lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw",
           "const", "jalr",
           "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
           "ecall", "rdcycle")
OP_CODE = {name: k + 1 for k, name in enumerate(ROM_OPS)}

# An ecall row is one of five kinds, told apart by a7; all carry the ROM code of ecall.
ECALL_KINDS = ("exit", "read", "write", "brk", "other")
# Rows that are not instructions: the arguments row of read/write (journal write,
# other write) and the rows that copy one word each.
SYSCALL_ROWS = ("args_r", "args_wj", "args_wn", "io_r", "io_w")

INSTRUCTION_FLAGS = tuple(op for op in ROM_OPS if op != "ecall") + ECALL_KINDS
FLAGS = INSTRUCTION_FLAGS + SYSCALL_ROWS


def flag_code(flag: str) -> int:
    """The ROM code an instruction flag stands for."""
    return OP_CODE["ecall"] if flag in ECALL_KINDS else OP_CODE[flag]


# Beyond the ROM fields, three pieces of machine state carried from row to row:
# ``jpos`` (journal bytes written), ``ileft`` (private input bytes not yet read) and
# ``brk_lo``/``brk_hi`` (the program break).
CPU_COLUMNS = ("pc", "rd", "rs1", "rs2", "use_rs2", "wr", "imm_lo", "imm_hi", "kv_lo",
               "kv_hi", "target", "jpos", "ileft", "brk_lo", "brk_hi")

SLOT_NAMES = ("rs1", "rs2", "ram", "rd")
MEM_VALUE_COLUMNS = ("a_lo", "a_hi", "b_lo", "b_hi", "w", "ro", "n_lo", "n_hi",
                     "p_lo", "p_hi", "c_lo", "c_hi")
MEM_COLUMNS = tuple(f"{s}_{f}" for s in SLOT_NAMES for f in ("prev_ts", "q", "e0", "e1")) \
    + MEM_VALUE_COLUMNS

N_BYTES = 14       # range-checked byte columns u0..u13
N_HELPERS = 14     # shared helpers h0..h13
ALU_COLUMNS = (tuple(f"x{i}" for i in range(32)) + tuple(f"y{i}" for i in range(32))
               + ("k0", "k1", "tri0", "tri1", "na", "nr", "bz")
               + tuple(f"u{i}" for i in range(N_BYTES)) + tuple(f"h{i}" for i in range(N_HELPERS)))

# What the shared helpers h0..h13 hold, by the kind of row that uses them. A row
# kind's constraints are gated by its flags, so other rows may hold anything there.
# Rows of one syscall constrain a few helpers of the *next* row (ptr, left, cn, rz),
# which is why those keep the same index in every syscall row kind.
HELPERS = {
    "cmp": {"eq": 0, "inv": 1, "sd": 2, "taken": 3},
    "ls": {"e0": 0, "e1": 1, "e2": 2, "e3": 3},
    "mul": {"sx": 0, "sy": 1},
    "div": {"sx": 0, "sy": 1, "ovf": 2},
    "read": {"z0": 0, "zi": 1},
    "write": {"jr": 0, "i1": 1, "i2": 2, "j2": 3, "i3": 4, "i4": 5},
    "brk": {"ok": 0},
    "other": {"u": 0, "v": 1, "uv": 2, "i1": 3, "i2": 4, "uvw": 5},
    # Every arguments row checks its buffer the same way (hb ok nz ninv bad); args_r
    # and args_wn carry an fd test from their ecall row in h13 (rz: fd = 0; lg: fd = 2).
    "args": {"hb": 0, "ok": 1, "nz": 2, "ninv": 3, "cp": 4, "bad": 5, "more": 10},
    "args_r": {"cp": 4, "lt": 6, "cnt_lo": 7, "cnt_hi": 8, "cz": 9, "more": 10, "cinv": 11,
               "oc": 12, "rz": 13},
    "args_wj": {"cp": 4, "more": 10},
    "args_wn": {"g": 6, "lg": 13},
    "io": {"e0": 0, "e1": 1, "e2": 2, "e3": 3, "f0": 4, "f1": 5, "f2": 6, "f3": 7,
           "ptr": 8, "left": 9, "more": 10, "cn_lo": 11, "cn_hi": 12},
}

# The state a segment hands to the next: what the transition constraints read at the
# next row (``boundary.STATE``), the final table's last address (``link``) and four
# random elements that mask each segment's share of the global sum (``r0..r3``).
ST_COLUMNS = ("pc", "instr", "args_r", "args_wj", "args_wn", "io_r", "io_w", "jpos", "ileft",
              "brk_lo", "brk_hi", "e0", "ptr", "left", "cn_lo", "cn_hi", "fdt", "link",
              "r0", "r1", "r2", "r3")
BT_COLUMNS = ("addr", "kind", "in_lo", "in_hi", "t_in", "out_lo", "out_hi", "real")
BX_COLUMNS = ("last_ts", "c0", "c1", "c2")
FT_COLUMNS = ("addr", "ro", "lo", "hi", "t", "real", "zinit")
FX_COLUMNS = ("prev", "a0", "a1", "a2", "aa", "ab", "g0", "g1", "g2", "ga", "gb")
MULT_COLUMNS = ("rom", "byte", "range")
#: The program ROM's fields, one row per code word (:mod:`engine.circuit.program`).
ROM_FIELDS = ("pc", "op", "rd", "rs1", "rs2", "use_rs2", "wr", "imm_lo", "imm_hi",
              "kv_lo", "kv_hi", "target")


@dataclass(frozen=True)
class Columns:
    """Handles to every main column (current row); ``expr.next`` reads the next row.
    Preprocessed groups are added by their regions (``table``, ``sel``)."""

    st: ColumnGroup
    bt: ColumnGroup
    ft: ColumnGroup
    op: ColumnGroup
    cpu: ColumnGroup
    mem: ColumnGroup
    alu: ColumnGroup
    bx: ColumnGroup
    fx: ColumnGroup
    mult: ColumnGroup
    rom: ColumnGroup
    table: ColumnGroup
    sel: ColumnGroup

    @property
    def x(self) -> list[Expr]:
        return [self.alu[f"x{i}"] for i in range(32)]

    @property
    def y(self) -> list[Expr]:
        return [self.alu[f"y{i}"] for i in range(32)]

    @property
    def u(self) -> list[Expr]:
        return [self.alu[f"u{i}"] for i in range(N_BYTES)]

    @property
    def h(self) -> list[Expr]:
        return [self.alu[f"h{i}"] for i in range(N_HELPERS)]

    def hv(self, kind: str, name: str) -> Expr:
        """The shared helper that row kind ``kind`` calls ``name`` (``HELPERS``)."""
        return self.alu[f"h{HELPERS[kind][name]}"]

    def flags(self, *names: str) -> Expr:
        """The sum of the named flags (a linear expression; 0 or 1 on every row)."""
        total = 0
        for name in names:
            total = self.op[name] + total
        return total

    @property
    def instruction(self) -> Expr:
        """1 on rows that execute an instruction (and look it up in the ROM)."""
        return self.flags(*INSTRUCTION_FLAGS)

    @property
    def is_real(self) -> Expr:
        """1 on executed rows, 0 on padding rows."""
        return self.flags(*FLAGS)


def declare_main(b: AirBuilder) -> dict[str, ColumnGroup]:
    """Declare every main column, in layout order (stage 0 first)."""
    return {
        "st": b.stage0_group("st", ST_COLUMNS),
        "bt": b.stage0_group("bt", BT_COLUMNS),
        "ft": b.stage0_group("ft", FT_COLUMNS),
        "op": b.main_group("op", FLAGS),
        "cpu": b.main_group("cpu", CPU_COLUMNS),
        "mem": b.main_group("mem", MEM_COLUMNS),
        "alu": b.main_group("alu", ALU_COLUMNS),
        "bx": b.main_group("bx", BX_COLUMNS),
        "fx": b.main_group("fx", FX_COLUMNS),
        "mult": b.main_group("mult", MULT_COLUMNS),
        "rom": b.main_group("rom", ROM_FIELDS),
    }


def bits_value(bits: list[Expr], start: int, count: int) -> Expr:
    """``sum_{i < count} 2^i · bits[start + i]`` (a linear expression)."""
    total: Expr | int = 0
    for i in range(count):
        total = bits[start + i] * (1 << i) + total
    return total
