"""Decoding of RV32IM instruction words into (op, rd, rs1, rs2, imm).

Code is read-only (docs/design.md, "Program binding"), so the whole program is decoded once,
vectorised with NumPy, before it runs; the executor and, later, the program ROM of the
machine AIR both read this table. Words that are not RV32IM instructions decode to
``Op.ILLEGAL`` and fault only if executed.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np


class Op(IntEnum):
    """Every RV32IM operation zkwb executes. Values are stable: the circuit uses them."""
    ILLEGAL = 0
    LUI = 1
    AUIPC = 2
    JAL = 3
    JALR = 4
    BEQ = 5
    BNE = 6
    BLT = 7
    BGE = 8
    BLTU = 9
    BGEU = 10
    LB = 11
    LH = 12
    LW = 13
    LBU = 14
    LHU = 15
    SB = 16
    SH = 17
    SW = 18
    ADDI = 19
    SLTI = 20
    SLTIU = 21
    XORI = 22
    ORI = 23
    ANDI = 24
    SLLI = 25
    SRLI = 26
    SRAI = 27
    ADD = 28
    SUB = 29
    SLL = 30
    SLT = 31
    SLTU = 32
    XOR = 33
    SRL = 34
    SRA = 35
    OR = 36
    AND = 37
    FENCE = 38
    ECALL = 39
    EBREAK = 40
    MUL = 41
    MULH = 42
    MULHSU = 43
    MULHU = 44
    DIV = 45
    DIVU = 46
    REM = 47
    REMU = 48
    # Not an instruction: a ROM slot between executable segments. Fetching it faults.
    NOT_CODE = 49
    # ``csrrs rd, cycle|time|instret, x0`` (rdcycle, rdtime, rdinstret): rd gets the
    # number of rows the run executed before this one (docs/guest-abi.md, "The cycle
    # counter"). The high halves (cycleh, timeh, instreth) decode as ``lui rd, 0``.
    RDCYCLE = 50


# Columns of a decoded table (shape (n, 5), int64); imm is sign-extended to a Python
# int in [-2^31, 2^31) and, for shifts by immediate, is the 5-bit shift amount.
F_OP, F_RD, F_RS1, F_RS2, F_IMM = range(5)

#: The counter CSRs zkwb executes: cycle, time and instret all read the row count
#: (one row per cycle, one instruction per row but for multi-row syscalls), and their
#: high halves read 0 (a run has fewer than 2^29 rows).
LOW_COUNTERS = (0xC00, 0xC01, 0xC02)
HIGH_COUNTERS = (0xC80, 0xC81, 0xC82)

_BRANCH_OPS = {0: Op.BEQ, 1: Op.BNE, 4: Op.BLT, 5: Op.BGE, 6: Op.BLTU, 7: Op.BGEU}
_LOAD_OPS = {0: Op.LB, 1: Op.LH, 2: Op.LW, 4: Op.LBU, 5: Op.LHU}
_STORE_OPS = {0: Op.SB, 1: Op.SH, 2: Op.SW}
_IMM_ALU_OPS = {0: Op.ADDI, 2: Op.SLTI, 3: Op.SLTIU, 4: Op.XORI, 6: Op.ORI, 7: Op.ANDI}
_REG_ALU_OPS = {  # (funct7, funct3) -> op
    (0x00, 0): Op.ADD, (0x20, 0): Op.SUB, (0x00, 1): Op.SLL, (0x00, 2): Op.SLT,
    (0x00, 3): Op.SLTU, (0x00, 4): Op.XOR, (0x00, 5): Op.SRL, (0x20, 5): Op.SRA,
    (0x00, 6): Op.OR, (0x00, 7): Op.AND,
    (0x01, 0): Op.MUL, (0x01, 1): Op.MULH, (0x01, 2): Op.MULHSU, (0x01, 3): Op.MULHU,
    (0x01, 4): Op.DIV, (0x01, 5): Op.DIVU, (0x01, 6): Op.REM, (0x01, 7): Op.REMU,
}


def decode(words: np.ndarray) -> np.ndarray:
    """Decode instruction words.

    ``words``: uint32 array of shape (n,). Returns an int64 array of shape (n, 5) with
    columns ``F_OP, F_RD, F_RS1, F_RS2, F_IMM``. Register fields that an operation does
    not use are 0, so ``rd``/``rs1``/``rs2`` say exactly which registers it touches.
    """
    w = np.asarray(words, dtype=np.uint32).astype(np.int64)
    n = w.shape[0]
    opcode = w & 0x7F
    rd = (w >> 7) & 0x1F
    funct3 = (w >> 12) & 0x7
    rs1 = (w >> 15) & 0x1F
    rs2 = (w >> 20) & 0x1F
    funct7 = (w >> 25) & 0x7F

    imm_i = _sign_extend(w >> 20, 12)
    imm_s = _sign_extend(((w >> 25) << 5) | ((w >> 7) & 0x1F), 12)
    imm_b = _sign_extend(((w >> 31) << 12) | (((w >> 7) & 1) << 11)
                         | (((w >> 25) & 0x3F) << 5) | (((w >> 8) & 0xF) << 1), 13)
    imm_u = _sign_extend(w & 0xFFFFF000, 32)
    imm_j = _sign_extend(((w >> 31) << 20) | (((w >> 12) & 0xFF) << 12)
                         | (((w >> 20) & 1) << 11) | (((w >> 21) & 0x3FF) << 1), 21)

    out = np.zeros((n, 5), dtype=np.int64)
    op = out[:, F_OP]

    def put(mask, code, use_rd, use_rs1, use_rs2, imm):
        op[mask] = int(code)
        if use_rd:
            out[mask, F_RD] = rd[mask]
        if use_rs1:
            out[mask, F_RS1] = rs1[mask]
        if use_rs2:
            out[mask, F_RS2] = rs2[mask]
        if imm is not None:
            out[mask, F_IMM] = imm[mask]

    put(opcode == 0x37, Op.LUI, True, False, False, imm_u)
    put(opcode == 0x17, Op.AUIPC, True, False, False, imm_u)
    put(opcode == 0x6F, Op.JAL, True, False, False, imm_j)
    put((opcode == 0x67) & (funct3 == 0), Op.JALR, True, True, False, imm_i)
    for f3, code in _BRANCH_OPS.items():
        put((opcode == 0x63) & (funct3 == f3), code, False, True, True, imm_b)
    for f3, code in _LOAD_OPS.items():
        put((opcode == 0x03) & (funct3 == f3), code, True, True, False, imm_i)
    for f3, code in _STORE_OPS.items():
        put((opcode == 0x23) & (funct3 == f3), code, False, True, True, imm_s)
    for f3, code in _IMM_ALU_OPS.items():
        put((opcode == 0x13) & (funct3 == f3), code, True, True, False, imm_i)
    shamt = (w >> 20) & 0x1F
    put((opcode == 0x13) & (funct3 == 1) & (funct7 == 0x00), Op.SLLI, True, True, False, shamt)
    put((opcode == 0x13) & (funct3 == 5) & (funct7 == 0x00), Op.SRLI, True, True, False, shamt)
    put((opcode == 0x13) & (funct3 == 5) & (funct7 == 0x20), Op.SRAI, True, True, False, shamt)
    for (f7, f3), code in _REG_ALU_OPS.items():
        put((opcode == 0x33) & (funct3 == f3) & (funct7 == f7), code, True, True, True, None)
    # fence (any pred/succ/fm) and fence.i are no-ops here: one hart, no caches, and code
    # is read-only so fence.i has nothing to synchronise.
    put((opcode == 0x0F) & ((funct3 == 0) | (funct3 == 1)), Op.FENCE, False, False, False, None)
    put(w == 0x00000073, Op.ECALL, False, False, False, None)
    # The counters, read with csrrs and rs1 = x0 (what rdcycle & co. assemble to); any
    # other CSR access stays illegal.
    csr = w >> 20
    reads_counter = (opcode == 0x73) & (funct3 == 2) & (rs1 == 0)
    put(reads_counter & np.isin(csr, LOW_COUNTERS), Op.RDCYCLE, True, False, False, None)
    put(reads_counter & np.isin(csr, HIGH_COUNTERS), Op.LUI, True, False, False,
        np.zeros_like(w))
    put(w == 0x00100073, Op.EBREAK, False, False, False, None)
    return out


def _sign_extend(value: np.ndarray, bits: int) -> np.ndarray:
    value = value & ((1 << bits) - 1)
    return value - ((value >> (bits - 1)) << bits)
