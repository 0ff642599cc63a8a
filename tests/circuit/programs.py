"""Guest programs for the circuit tests, built with the tiny assembler of tests/vm.

Each function returns an ``Asm`` whose program exercises one family of the machine
AIR with its edge cases; ``every_instruction()`` joins them.
"""
from __future__ import annotations

from engine.vm.memory_map import HEAP_LIMIT
from tests.vm.asm import DATA_BASE, Asm

INT_MIN, NEG1 = 0x8000_0000, 0xFFFF_FFFF
VALUES = (0, 1, 2, 31, 32, 0x7F, 0x80, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, INT_MIN, 0x8000_0001,
          NEG1, 0xFFFF_FFFE, 0xDEAD_BEEF, 0x1234_5678)
# The register-register ops run on every pair of these (the program must stay below 64 KiB).
PAIR_VALUES = (0, 1, 0x7F, 0xFFFF, 0x7FFF_FFFF, INT_MIN, NEG1, 0xDEAD_BEEF)
REGISTER_OPS = ("add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
                "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")
IMMEDIATE_OPS = ("addi", "slti", "sltiu", "xori", "ori", "andi")
SHIFT_IMMEDIATE_OPS = ("slli", "srli", "srai")
IMMEDIATES = (-2048, -1, 0, 1, 31, 0x7FF)
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu")
LOADS = ("lb", "lbu", "lh", "lhu", "lw")


def register_ops(prog: Asm, values=PAIR_VALUES, ops=REGISTER_OPS) -> None:
    """Every register-register op on every pair of ``values``; results accumulate in x9."""
    for name in ops:
        for a in values:
            for b in values:
                prog.li(5, a)
                prog.li(6, b)
                prog.op(name, 7, 5, 6)
                prog.op("add", 9, 9, 7)


def immediate_ops(prog: Asm, values=VALUES) -> None:
    for a in values:
        prog.li(5, a)
        for name in IMMEDIATE_OPS:
            for imm in IMMEDIATES:
                prog.op(name, 7, 5, imm)
                prog.op("xor", 9, 9, 7)
        for name in SHIFT_IMMEDIATE_OPS:
            for shamt in (0, 1, 15, 16, 31):
                prog.op(name, 7, 5, shamt)
                prog.op("xor", 9, 9, 7)


def x0_and_aliasing(prog: Asm) -> None:
    """Writes to x0 are dropped (their results still computed); rd = rs1 = rs2."""
    prog.li(5, 0x1234)
    prog.op("addi", 0, 5, 7)
    prog.op("add", 0, 5, 5)
    prog.op("mul", 0, 5, 5)
    prog.op("add", 7, 0, 0)
    prog.op("add", 5, 5, 5)
    prog.op("mul", 5, 5, 5)
    prog.op("div", 5, 5, 5)
    prog.lui(0, 0x12345000)
    prog.auipc(0, 0x1000)
    prog.op("add", 9, 9, 5)


def upper_immediates(prog: Asm) -> None:
    for imm in (0, 0x1000, 0x7FFFF000, 0x80000000, 0xFFFFF000):
        prog.lui(7, imm)
        prog.op("xor", 9, 9, 7)
        prog.auipc(7, imm)
        prog.op("xor", 9, 9, 7)
    prog.emit(0x0000000F)     # fence
    prog.emit(0x0000100F)     # fence.i


def memory_ops(prog: Asm) -> None:
    """Stores of every width at every allowed offset, then every load of them."""
    prog.data += bytes(64)
    prog.li(8, DATA_BASE)
    prog.li(6, 0x89ABCDEF)
    prog.li(10, 0x7F80FF01)
    for off in range(4):
        prog.store("sb", 6, 8, off)
        prog.store("sb", 10, 8, 4 + off)
    for off in (0, 2):
        prog.store("sh", 6, 8, 8 + off)
        prog.store("sh", 10, 8, 12 + off)
    prog.store("sw", 6, 8, 16)
    prog.store("sw", 10, 8, 20)
    prog.op("addi", 11, 8, 2048 - 1)       # a base above the buffer: negative offsets
    for name in LOADS:
        step = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}[name]
        for off in range(0, 24, step):
            prog.op(name, 7, 8, off)
            prog.op("add", 9, 9, 7)
            prog.op(name, 7, 11, off - 2047)
            prog.op("add", 9, 9, 7)
    prog.op("lw", 0, 8, 0)                 # a load into x0


def branches(prog: Asm) -> None:
    """Each branch taken and not taken, forward and backward."""
    pairs = ((1, 1), (1, 2), (2, 1), (NEG1, 1), (1, NEG1), (INT_MIN, 0x7FFFFFFF))
    for name in BRANCHES:
        for a, b in pairs:
            prog.li(5, a)
            prog.li(6, b)
            prog.branch(name, 5, 6, 8)      # taken: skip the next instruction
            prog.op("addi", 9, 9, 1)
    prog.li(12, 3)                          # a backward loop
    prog.op("addi", 12, 12, -1)
    prog.branch("bne", 12, 0, -4)


def jumps(prog: Asm) -> None:
    prog.jal(1, 8)                          # jal over one instruction, links
    prog.op("addi", 9, 9, 100)
    prog.op("add", 9, 9, 1)
    prog.auipc(5, 0)
    prog.jalr(1, 5, 13)                     # target pc + 12 with bit 0 set: cleared
    prog.op("addi", 9, 9, 100)
    prog.op("addi", 9, 9, 100)
    prog.op("add", 9, 9, 1)
    prog.auipc(5, 0)
    prog.op("addi", 5, 5, 16)
    prog.jalr(5, 5, 0)                      # rd = rs1
    prog.op("addi", 9, 9, 100)
    prog.op("add", 9, 9, 5)
    prog.jal(0, 4)                          # jal to the next instruction, no link


def syscalls(prog: Asm) -> None:
    """read and write at every alignment and length, other fds, brk, unknown calls."""
    prog.data += bytes(64)
    base = DATA_BASE + 64 if len(prog.data) > 64 else DATA_BASE
    for buf, n in ((base + 1, 2), (base + 8, 4), (base + 13, 9), (base + 32, 0), (base + 40, 50)):
        prog.syscall(63, 0, buf, n)         # read (the input runs out on the last)
        prog.op("add", 9, 9, 10)
    for buf, n in ((base + 1, 2), (base + 8, 4), (base + 13, 9), (base + 3, 1), (base, 0)):
        prog.syscall(64, 1, buf, n)         # write to the journal
        prog.op("add", 9, 9, 10)
    prog.syscall(64, 2, base, 5)            # the log
    prog.syscall(64, 7, base, 5)            # a bad fd: -EBADF
    prog.syscall(63, 3, base, 5)            # read from a bad fd
    prog.syscall(64, 1, 0x100, 4)           # a buffer outside guest memory: -EFAULT
    prog.syscall(64, 1, 0x0BFF_FFFE, 4)     # running past its end: -EFAULT
    prog.syscall(63, 0, 0x0BFF_FFFE, 4)     # read there: -EFAULT
    prog.syscall(64, 2, 0x100, 4)           # the log with a bad buffer: -EFAULT
    prog.syscall(64, 2, base, 0)            # the log, nothing: 0
    prog.syscall(214, 0)                    # brk(0): the heap start
    prog.op("addi", 10, 10, 0x7F0)          # grow
    prog.ecall()
    prog.op("addi", 10, 10, -0x100)         # shrink
    prog.ecall()
    prog.op("add", 9, 9, 10)
    prog.syscall(214, HEAP_LIMIT + 4)       # above the limit: refused
    prog.syscall(214, HEAP_LIMIT)           # exactly the limit: accepted
    prog.syscall(214, 0x2000)               # below the heap start: refused
    prog.op("add", 9, 9, 10)
    prog.syscall(4242, 1)                   # unknown: -ENOSYS
    prog.syscall(214 + (1 << 16), 0)        # a7 = 214 + 2^16 is not brk
    prog.syscall(63 + (1 << 16), 0)         # a7 = 63 + 2^16 is not read
    prog.op("add", 9, 9, 10)


def every_instruction() -> Asm:
    prog = Asm()
    register_ops(prog)
    immediate_ops(prog)
    x0_and_aliasing(prog)
    upper_immediates(prog)
    memory_ops(prog)
    branches(prog)
    jumps(prog)
    syscalls(prog)
    prog.li(10, 0)
    prog.op("add", 10, 10, 9)
    prog.lui(11, 0x80000000)
    prog.op("or", 10, 10, 11)               # an exit code with the top bit set
    prog.li(17, 93)
    prog.ecall()
    return prog
