"""A tiny RV32IM encoder and ELF writer, so tests can build guests without a toolchain.

    prog = Asm()
    prog.li(5, 0x12345678); prog.exit(5)
    elf_bytes = prog.elf()
"""
from __future__ import annotations

import struct

TEXT_BASE = 0x0001_0000
DATA_BASE = 0x0002_0000

REG_OPS = {  # name: (funct7, funct3)
    "add": (0x00, 0), "sub": (0x20, 0), "sll": (0x00, 1), "slt": (0x00, 2), "sltu": (0x00, 3),
    "xor": (0x00, 4), "srl": (0x00, 5), "sra": (0x20, 5), "or": (0x00, 6), "and": (0x00, 7),
    "mul": (0x01, 0), "mulh": (0x01, 1), "mulhsu": (0x01, 2), "mulhu": (0x01, 3),
    "div": (0x01, 4), "divu": (0x01, 5), "rem": (0x01, 6), "remu": (0x01, 7),
}
IMM_OPS = {"addi": 0, "slti": 2, "sltiu": 3, "xori": 4, "ori": 6, "andi": 7}
SHIFT_IMM_OPS = {"slli": (0x00, 1), "srli": (0x00, 5), "srai": (0x20, 5)}
LOAD_OPS = {"lb": 0, "lh": 1, "lw": 2, "lbu": 4, "lhu": 5}
STORE_OPS = {"sb": 0, "sh": 1, "sw": 2}
BRANCH_OPS = {"beq": 0, "bne": 1, "blt": 4, "bge": 5, "bltu": 6, "bgeu": 7}


def r_type(f7, rs2, rs1, f3, rd, opcode=0x33):
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def i_type(imm, rs1, f3, rd, opcode):
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def s_type(imm, rs2, rs1, f3, opcode=0x23):
    imm &= 0xFFF
    return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1F) << 7) | opcode


def b_type(imm, rs2, rs1, f3):
    imm &= 0x1FFF
    return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) \
        | (f3 << 12) | (((imm >> 1) & 0xF) << 8) | (((imm >> 11) & 1) << 7) | 0x63


def u_type(imm, rd, opcode):
    return (imm & 0xFFFFF000) | (rd << 7) | opcode


def j_type(imm, rd):
    imm &= 0x1FFFFF
    return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3FF) << 21) | (((imm >> 11) & 1) << 20) \
        | (((imm >> 12) & 0xFF) << 12) | (rd << 7) | 0x6F


class Asm:
    """Accumulates instruction words at TEXT_BASE and data bytes at DATA_BASE."""

    def __init__(self):
        self.words: list[int] = []
        self.data = bytearray()

    @property
    def pc(self) -> int:
        return TEXT_BASE + 4 * len(self.words)

    def emit(self, word: int) -> int:
        self.words.append(word & 0xFFFFFFFF)
        return self.pc - 4

    def op(self, name: str, rd: int, rs1: int, rs2_or_imm: int) -> None:
        if name in REG_OPS:
            f7, f3 = REG_OPS[name]
            self.emit(r_type(f7, rs2_or_imm, rs1, f3, rd))
        elif name in IMM_OPS:
            self.emit(i_type(rs2_or_imm, rs1, IMM_OPS[name], rd, 0x13))
        elif name in SHIFT_IMM_OPS:
            f7, f3 = SHIFT_IMM_OPS[name]
            self.emit(r_type(f7, rs2_or_imm & 0x1F, rs1, f3, rd, 0x13))
        elif name in LOAD_OPS:
            self.emit(i_type(rs2_or_imm, rs1, LOAD_OPS[name], rd, 0x03))
        else:
            raise KeyError(name)

    def store(self, name: str, rs2: int, rs1: int, imm: int) -> None:
        self.emit(s_type(imm, rs2, rs1, STORE_OPS[name]))

    def branch(self, name: str, rs1: int, rs2: int, offset: int) -> None:
        self.emit(b_type(offset, rs2, rs1, BRANCH_OPS[name]))

    def jal(self, rd: int, offset: int) -> None:
        self.emit(j_type(offset, rd))

    def jalr(self, rd: int, rs1: int, imm: int) -> None:
        self.emit(i_type(imm, rs1, 0, rd, 0x67))

    def lui(self, rd: int, imm: int) -> None:
        self.emit(u_type(imm, rd, 0x37))

    def auipc(self, rd: int, imm: int) -> None:
        self.emit(u_type(imm, rd, 0x17))

    def li(self, rd: int, value: int) -> None:
        """Load a 32-bit constant (lui + addi, like the assembler's pseudo-op)."""
        value &= 0xFFFFFFFF
        lo = value & 0xFFF
        if lo >= 0x800:
            lo -= 0x1000
        hi = (value - lo) & 0xFFFFFFFF
        if hi:
            self.lui(rd, hi)
            self.op("addi", rd, rd, lo)
        else:
            self.op("addi", rd, 0, lo)

    def ecall(self) -> None:
        self.emit(0x00000073)

    def syscall(self, number: int, *args: int) -> None:
        """Load small constants into a0.. and a7, then ecall."""
        for i, value in enumerate(args):
            self.li(10 + i, value)
        self.li(17, number)
        self.ecall()

    def exit(self, reg: int | None = None, code: int = 0) -> None:
        """exit(reg) or exit(code)."""
        if reg is None:
            self.li(10, code)
        elif reg != 10:
            self.op("addi", 10, reg, 0)
        self.li(17, 93)
        self.ecall()

    def elf(self, entry: int | None = None, text_flags: int = 5, extra_segments=()) -> bytes:
        code = b"".join(struct.pack("<I", w) for w in self.words)
        segments = [(TEXT_BASE, code, len(code), text_flags)]
        if self.data:
            segments.append((DATA_BASE, bytes(self.data), len(self.data), 6))
        segments.extend(extra_segments)
        return build_elf(segments, TEXT_BASE if entry is None else entry)


def build_elf(segments, entry, *, machine=243, elf_class=1, data_enc=1, e_type=2, flags=0) -> bytes:
    """An ELF file with one PT_LOAD per (vaddr, bytes, memsz, p_flags) segment."""
    ehsize, phentsize = 52, 32
    phoff = ehsize
    offset = phoff + phentsize * len(segments)
    headers, blobs = [], []
    for vaddr, blob, memsz, pflags in segments:
        headers.append(struct.pack("<8I", 1, offset, vaddr, vaddr, len(blob), memsz, pflags, 4))
        blobs.append(blob)
        offset += len(blob)
    ident = b"\x7fELF" + bytes([elf_class, data_enc, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIIIIIHHHHHH", e_type, machine, 1, entry, phoff, 0, flags,
                                 ehsize, phentsize, len(segments), 40, 0, 0)
    return header + b"".join(headers) + b"".join(blobs)
