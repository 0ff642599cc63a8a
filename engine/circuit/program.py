"""The program ROM: the decoded program as preprocessed columns, and its lookup.

Row ``i < len(code_words)`` of the ROM describes the word at ``pc = code_base + 4i``:

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

Every real instruction row sends its pc and fields; the ROM receives them with the
multiplicity column ``mult.rom``. The verifier derives the columns from the public
image (:class:`engine.circuit.image.MachineImage`), which it checked against the
image ID, so the ROM is bound to the image ID.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.columns import INSTRUCTION_FLAGS, OP_CODE, Columns, flag_code
from engine.stark.air import AirBuilder, ColumnGroup, TraceShape
from engine.vm.decode import F_IMM, F_OP, F_RD, F_RS1, F_RS2, Op

ROM_BUS = "program"
ROM_FIELDS = ("pc", "op", "rd", "rs1", "rs2", "use_rs2", "wr", "imm_lo", "imm_hi",
              "kv_lo", "kv_hi", "target")
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


def declare(b: AirBuilder) -> ColumnGroup:
    """The preprocessed ROM columns (``rom.*``), computed from the public image."""
    return b.preprocessed_group("rom", ROM_FIELDS, compute=_compute_rom)


def _compute_rom(shape: TraceShape, image) -> np.ndarray:
    table = rom_table(image)
    if table.shape[1] > shape.real_rows:
        raise ValueError(f"the program has {table.shape[1]} words of code; a trace of "
                         f"{shape.height} rows holds at most {shape.real_rows}")
    out = np.zeros((len(ROM_FIELDS), shape.height), dtype=np.uint32)
    out[:, :table.shape[1]] = table
    return out


def constrain(b: AirBuilder, c: Columns) -> None:
    """Every instruction row looks its pc and decoded fields up in the ROM."""
    cpu, op = c.cpu, c.op
    code = sum((op[f] * flag_code(f) for f in INSTRUCTION_FLAGS), 0)
    with b.scope("rom"):
        b.send(ROM_BUS, [cpu.pc, code, cpu.rd, cpu.rs1, cpu.rs2, cpu.use_rs2,
                         cpu.wr - c.flags("brk", "other"), cpu.imm_lo, cpu.imm_hi, cpu.kv_lo,
                         cpu.kv_hi, cpu.target], mult=c.instruction, name="fetch")
        b.receive(ROM_BUS, list(c.rom), mult=c.mult.rom, name="table")
