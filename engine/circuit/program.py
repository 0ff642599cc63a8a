"""The program ROM: the decoded program as a region of the main trace, and its lookup.

Row ``i < len(code_words)`` of the ROM describes the word at ``pc = code_base + 4i``
(:func:`rom_table`):

    (pc, op, rd, rs1, rs2, use_rs2, wr, imm_lo, imm_hi, kv_lo, kv_hi, target)

* ``op``: the circuit operation's code (``columns.OP_CODE``), 0 for a word that is not
  an executable RV32IM instruction (illegal, ``ebreak``, outside the executable
  ranges): no CPU row can send code 0, so executing such a word cannot be proven.
* ``rd, rs1, rs2``: register numbers of the four memory slots; ``use_rs2``: rs2 is
  read; ``wr``: rd is written (``rd != 0``; writes to x0 are dropped).
  ``ecall`` reads a7 (rs1 = 17) and a0 (rs2 = 10) and may write a0 (rd = 10).
* ``imm``: the immediate as 16-bit halves of its 32-bit value (the shift amount for
  shifts by immediate; 0 for register forms and branches).
* ``kv``: the value CONST and JALR write to rd (``lui``: imm; ``auipc``: pc + imm;
  ``jal``, ``jalr``: pc + 4), as halves.
* ``target``: where CONST and taken branches go (``jal``: pc + imm; ``lui``,
  ``auipc``, ``fence``: pc + 4) when that is the pc of an executable instruction,
  else 1, which no ROM row has: a jump the executor would fault on cannot be proven.

**The fetch** (bus ``program``). Every real instruction row sends its pc and fields;
the ROM receives them with the multiplicity column ``mult.rom``.

**The ROM is bound to the image** (bus ``program_image``). The ROM is 12 ordinary
main columns ``rom.*`` (committed with the main trace, not preprocessed, so that the
preprocessed columns do not depend on the program and have a key per height,
:mod:`engine.stark.keys`). The honest ROM holds the rows of :func:`rom_table` in rows
``0 .. n − 1`` (``n`` code words) and zeros in every other real row. Each real row of
the ROM receives its own 12 fields with multiplicity 1 and sends the all-zero message
with multiplicity 1; the verifier sends every row of ``rom_table(image)`` once and
receives the all-zero message ``n`` times (:func:`program_image_messages`, computed
from the image the verifier checked against the image ID, in O(code words)). Net, for
a message ``v``: ``#table(v) + [v = 0]·(R − n) − #ROM(v)``, so the bus balances
exactly when the ROM's ``R`` real rows are, as a multiset, the table's rows and
``R − n`` zero rows: no row changed, dropped, repeated or made up, in any order
(LogUp needs every net multiplicity below p: they are at most ``R < 2^22``, and
``docs/security.md`` counts the terms, ``H·|interactions|`` plus the verifier's
``2n``). The AIR sends the zero row itself because the verifier's messages do not
depend on the height (:func:`engine.circuit.witness.segment_messages`).

**Why the zero rows cannot be fetched.** A CPU row's fetch has multiplicity
``instruction`` (the sum of the instruction flags: 0 or 1, since the flags are
boolean and their sum is, ``cpu.one_flag``) and sends the code
``Σ_f code(f)·op_f``, which is the flag's code, at least 1 (``columns.OP_CODE``
counts from 1), whenever the multiplicity is 1. So no fetch sends op code 0, and a
zero row's (or a non-executable word's) ``mult.rom`` can balance nothing: the words
that are not instructions cannot be executed, whatever the ROM's padding holds.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.columns import INSTRUCTION_FLAGS, OP_CODE, ROM_FIELDS, Columns, flag_code
from engine.stark.air import AirBuilder
from engine.stark.logup_trace import PublicMessages
from engine.vm.decode import F_IMM, F_OP, F_RD, F_RS1, F_RS2, Op

ROM_BUS = "program"
IMAGE_BUS = "program_image"
INVALID_TARGET = 1          # odd, so never the pc of a ROM row
MASK32 = 0xFFFFFFFF

_CIRCUIT_OP = {
    Op.LUI: "const", Op.AUIPC: "const", Op.JAL: "const", Op.FENCE: "const",
    Op.JALR: "jalr",
    Op.BEQ: "beq", Op.BNE: "bne", Op.BLT: "blt", Op.BGE: "bge", Op.BLTU: "bltu",
    Op.BGEU: "bgeu",
    Op.LB: "lb", Op.LH: "lh", Op.LW: "lw", Op.LBU: "lbu", Op.LHU: "lhu",
    Op.SB: "sb", Op.SH: "sh", Op.SW: "sw",
    Op.ADDI: "add", Op.SLTI: "slt", Op.SLTIU: "sltu", Op.XORI: "xor", Op.ORI: "or",
    Op.ANDI: "and", Op.SLLI: "sll", Op.SRLI: "srl", Op.SRAI: "sra",
    Op.ADD: "add", Op.SUB: "sub", Op.SLL: "sll", Op.SLT: "slt", Op.SLTU: "sltu",
    Op.XOR: "xor", Op.SRL: "srl", Op.SRA: "sra", Op.OR: "or", Op.AND: "and",
    Op.MUL: "mul", Op.MULH: "mulh", Op.MULHSU: "mulhsu", Op.MULHU: "mulhu",
    Op.DIV: "div", Op.DIVU: "divu", Op.REM: "rem", Op.REMU: "remu",
    Op.ECALL: "ecall",
    Op.RDCYCLE: "rdcycle",
}
# Decoder op -> circuit code (0 for words that cannot be executed).
CIRCUIT_CODE = np.zeros(max(int(op) for op in Op) + 1, dtype=np.int64)
for _op, _name in _CIRCUIT_OP.items():
    CIRCUIT_CODE[int(_op)] = OP_CODE[_name]

_REG_READS_RS2 = {Op.ADD, Op.SUB, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.SRA, Op.OR,
                  Op.AND, Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM,
                  Op.REMU, Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU, Op.SB, Op.SH,
                  Op.SW, Op.ECALL}
_NO_RD = {Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU, Op.SB, Op.SH, Op.SW, Op.FENCE,
          Op.ECALL, Op.EBREAK, Op.ILLEGAL, Op.NOT_CODE}
_IMM_FORMS = {Op.ADDI, Op.SLTI, Op.SLTIU, Op.XORI, Op.ORI, Op.ANDI, Op.SLLI, Op.SRLI,
              Op.SRAI, Op.LB, Op.LH, Op.LW, Op.LBU, Op.LHU, Op.SB, Op.SH, Op.SW, Op.JALR}
_BRANCHES = {Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU}


def rom_table(image) -> np.ndarray:
    """The ROM rows of ``image`` (a ``MachineImage``): int64 ``(len(ROM_FIELDS), n)``."""
    code = image.code
    n = code.shape[0]
    ops = code[:, F_OP]
    pc = image.code_base + 4 * np.arange(n, dtype=np.int64)
    imm = code[:, F_IMM]
    out = np.zeros((len(ROM_FIELDS), n), dtype=np.int64)
    f = {name: out[k] for k, name in enumerate(ROM_FIELDS)}
    f["pc"][:] = pc
    f["op"][:] = CIRCUIT_CODE[ops]
    f["rd"][:] = code[:, F_RD]
    f["rs1"][:] = code[:, F_RS1]
    f["rs2"][:] = code[:, F_RS2]
    is_ecall = ops == int(Op.ECALL)
    f["rs1"][is_ecall] = 17
    f["rs2"][is_ecall] = 10
    f["rd"][is_ecall] = 10
    f["use_rs2"][:] = np.isin(ops, [int(o) for o in _REG_READS_RS2])
    f["wr"][:] = ~np.isin(ops, [int(o) for o in _NO_RD]) & (code[:, F_RD] != 0)
    with_imm = np.isin(ops, [int(o) for o in _IMM_FORMS])
    imm32 = np.where(with_imm, imm & MASK32, 0)
    f["imm_lo"][:] = imm32 & 0xFFFF
    f["imm_hi"][:] = imm32 >> 16
    kv = np.zeros(n, dtype=np.int64)
    kv = np.where(ops == int(Op.LUI), imm & MASK32, kv)
    kv = np.where(ops == int(Op.AUIPC), (pc + imm) & MASK32, kv)
    kv = np.where((ops == int(Op.JAL)) | (ops == int(Op.JALR)), (pc + 4) & MASK32, kv)
    f["kv_lo"][:] = kv & 0xFFFF
    f["kv_hi"][:] = kv >> 16
    jump = (pc + imm) & MASK32
    fall = (pc + 4) & MASK32
    target = np.zeros(n, dtype=np.int64)
    is_jump = np.isin(ops, [int(Op.JAL)] + [int(o) for o in _BRANCHES])
    target = np.where(is_jump, jump, target)
    target = np.where(np.isin(ops, [int(Op.LUI), int(Op.AUIPC), int(Op.FENCE)]), fall, target)
    has_target = is_jump | np.isin(ops, [int(Op.LUI), int(Op.AUIPC), int(Op.FENCE)])
    f["target"][:] = np.where(has_target & ~_executable(image, target), INVALID_TARGET, target)
    return out


def _executable(image, pc: np.ndarray) -> np.ndarray:
    """Whether each pc is the address of an executable word of the ROM."""
    idx = (pc - image.code_base) >> 2
    inside = (pc >= image.code_base) & (pc & 3 == 0) & (idx < len(image.code_words))
    ops = image.code[np.where(inside, idx, 0), F_OP]
    return inside & (CIRCUIT_CODE[ops] != 0)


def program_image_messages(image) -> PublicMessages:
    """The verifier's side of the ``program_image`` bus: send every row of
    ``rom_table(image)`` once, receive the all-zero row once per code word."""
    table = rom_table(image)
    n = table.shape[1]
    values = np.concatenate([table.T, np.zeros((1, len(ROM_FIELDS)), dtype=np.int64)])
    multiplicities = np.ones(n + 1, dtype=np.int64)
    multiplicities[n] = -n
    return PublicMessages(IMAGE_BUS, values, multiplicities)


def constrain(b: AirBuilder, c: Columns) -> None:
    """Every instruction row looks its pc and decoded fields up in the ROM; every real
    ROM row is balanced against the verifier's image (module docstring)."""
    cpu, op, rom = c.cpu, c.op, list(c.rom)
    code = sum((op[f] * flag_code(f) for f in INSTRUCTION_FLAGS), 0)
    with b.scope("rom"):
        b.send(ROM_BUS, [cpu.pc, code, cpu.rd, cpu.rs1, cpu.rs2, cpu.use_rs2,
                         cpu.wr - c.flags("brk", "other"), cpu.imm_lo, cpu.imm_hi, cpu.kv_lo,
                         cpu.kv_hi, cpu.target], mult=c.instruction, name="fetch")
        b.receive(ROM_BUS, rom, mult=c.mult.rom, name="table")
        b.receive(IMAGE_BUS, rom, name="row")
        b.send(IMAGE_BUS, [0] * len(ROM_FIELDS), name="zero_row")
