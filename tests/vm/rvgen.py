"""Random RV32IM programs for differential testing against qemu.

``generate(seed)`` returns a self-contained assembly program: its own ``_start``, its
own data buffer, no SDK and no stack. It sets every register from a pool of
interesting values, runs a random mix of every RV32I and M instruction (register and
immediate ALU forms, LUI/AUIPC, division and shift edge cases, loads and stores of
every width at in-bounds offsets, forward branches of every kind, small counted loops,
JAL and JALR), then writes the data buffer followed by a dump of x0..x31 to stdout and
exits with the 32-bit sum of the dumped registers.

Control flow only ever goes forward except in counted loops, so every program halts.
Two registers are reserved so that this holds: ``gp`` (x3) holds the data buffer's
address and ``tp`` (x4) counts loop iterations; random instructions read them but
never write them. Everything else, x0 included (writes to it must be dropped), is a
destination. Registers start from values chosen here, never from the machine, so
qemu (whose initial sp and registers are its own) and zkwb run the same computation.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass

DATA_BYTES = 1024
REGISTER_COUNT = 32
DUMP_OFFSET = DATA_BYTES  # the register dump follows the data buffer
OUTPUT_BYTES = DATA_BYTES + 4 * REGISTER_COUNT

BUFFER_REGISTER = 3  # gp
LOOP_REGISTER = 4  # tp
DESTINATIONS = tuple(r for r in range(REGISTER_COUNT) if r not in (BUFFER_REGISTER, LOOP_REGISTER))
# The epilogue sums the dump in t0-t3 and makes the syscalls with a0-a2 and a7: only
# the other registers still hold the dumped values when the program exits.
EPILOGUE_REGISTERS = frozenset({5, 6, 7, 28, 10, 11, 12, 17})

SYS_WRITE, SYS_EXIT = 64, 93

REGISTER_OPS = ("add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
                "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")
IMMEDIATE_OPS = ("addi", "slti", "sltiu", "xori", "ori", "andi")
SHIFT_IMMEDIATE_OPS = ("slli", "srli", "srai")
DIVISION_OPS = ("div", "divu", "rem", "remu")
SHIFT_OPS = ("sll", "srl", "sra")
LOADS = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu")

INT_MIN, MINUS_ONE = 0x8000_0000, 0xFFFF_FFFF
INTERESTING_VALUES = (
    0, 1, 2, 3, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, 0x100, 0x7FF, 0x800, 0xFFF,
    0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, INT_MIN, 0x8000_0001, MINUS_ONE,
    0xFFFF_FFFE, 0xFFFF_FFE0, 0xFFFF_8000, 0xFFFF_F800, 0xAAAA_AAAA, 0x5555_5555,
    0xDEAD_BEEF, 0x1234_5678,
)
INTERESTING_IMMEDIATES = (-2048, -2047, -1, 0, 1, 2, 31, 32, 0x7F, 0x80, 0xFF, 2047)


@dataclass(frozen=True)
class GeneratedProgram:
    """A generated program: ``source`` is GNU assembly for the SDK's link.ld."""

    seed: int
    source: str
    data: bytes  # the buffer's initial contents, DATA_BYTES long


@dataclass(frozen=True)
class ProgramOutput:
    """What a generated program writes to stdout, split into its two parts."""

    data: bytes  # the buffer at exit, DATA_BYTES long
    registers: tuple[int, ...]  # x0..x31 at the dump, unsigned 32-bit

    @classmethod
    def parse(cls, stdout: bytes) -> ProgramOutput:
        if len(stdout) != OUTPUT_BYTES:
            raise ValueError(f"a generated program writes {OUTPUT_BYTES} bytes, got {len(stdout)}")
        return cls(stdout[:DATA_BYTES], struct.unpack_from(f"<{REGISTER_COUNT}I", stdout, DATA_BYTES))

    @property
    def exit_code(self) -> int:
        """The 32-bit exit code the program computes: the sum of the dumped registers."""
        return sum(self.registers) & 0xFFFF_FFFF


def generate(seed: int, length: int = 150) -> GeneratedProgram:
    """A random program of ``length`` fragments (one to a dozen instructions each)."""
    return _Generator(random.Random(seed)).program(seed, length)


def first_difference(expected: ProgramOutput, actual: ProgramOutput) -> str | None:
    """A readable description of the first register or buffer byte that differs."""
    for r, (want, got) in enumerate(zip(expected.registers, actual.registers)):
        if want != got:
            return f"x{r}: expected 0x{want:08x}, got 0x{got:08x}"
    for offset, (want, got) in enumerate(zip(expected.data, actual.data)):
        if want != got:
            return f"data buffer byte {offset}: expected 0x{want:02x}, got 0x{got:02x}"
    return None


class _Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.labels = 0

    def program(self, seed: int, length: int) -> GeneratedProgram:
        data = self.rng.randbytes(DATA_BYTES)
        body = []
        for _ in range(length):
            body += self.fragment()
        lines = [
            f"# rvgen seed {seed}",
            # Relaxation would rewrite `la` into gp-relative forms, but here gp holds the
            # data buffer, not __global_pointer$.
            ".option norelax",
            ".section .text",
            ".globl _start",
            ".type _start, @function",
            "_start:",
            f"la x{BUFFER_REGISTER}, rvgen_data",
            *(f"li x{r}, {self.initial_value():#x}" for r in range(1, REGISTER_COUNT)
              if r != BUFFER_REGISTER),
            *body,
            *self.epilogue(),
            ".section .data",
            ".p2align 4",
            "rvgen_data:",
            *(".byte " + ", ".join(str(b) for b in data[i:i + 32]) for i in range(0, DATA_BYTES, 32)),
            f".zero {4 * REGISTER_COUNT}",
        ]
        return GeneratedProgram(seed, "\n".join(lines) + "\n", data)

    # -- values and operands

    def initial_value(self) -> int:
        roll = self.rng.random()
        if roll < 0.6:
            return self.rng.choice(INTERESTING_VALUES)
        if roll < 0.8:
            return self.rng.randrange(-64, 64) & 0xFFFF_FFFF
        return self.rng.getrandbits(32)

    def immediate(self) -> int:
        if self.rng.random() < 0.4:
            return self.rng.choice(INTERESTING_IMMEDIATES)
        return self.rng.randrange(-2048, 2048)

    def source(self) -> int:
        return self.rng.randrange(REGISTER_COUNT)

    def destination(self) -> int:
        return self.rng.choice(DESTINATIONS)

    def label(self) -> str:
        self.labels += 1
        return f".Lrvgen{self.labels}"

    # -- fragments

    def fragment(self) -> list[str]:
        kinds = ((self.straight, 70), (self.forward_branch, 10), (self.loop, 4),
                 (self.jump, 4), (self.indirect_jump, 4), (self.edge_case, 8))
        make = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        return make()

    def straight(self) -> list[str]:
        """One instruction that neither jumps nor touches the reserved registers."""
        kinds = ((self.register_op, 30), (self.immediate_op, 25), (self.upper_immediate, 6),
                 (self.load, 14), (self.store, 14), (self.offset_access, 6))
        make = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        return make()

    def register_op(self) -> list[str]:
        op = self.rng.choice(REGISTER_OPS)
        return [f"{op} x{self.destination()}, x{self.source()}, x{self.source()}"]

    def immediate_op(self) -> list[str]:
        if self.rng.random() < 0.3:
            op = self.rng.choice(SHIFT_IMMEDIATE_OPS)
            return [f"{op} x{self.destination()}, x{self.source()}, {self.rng.randrange(32)}"]
        op = self.rng.choice(IMMEDIATE_OPS)
        return [f"{op} x{self.destination()}, x{self.source()}, {self.immediate()}"]

    def upper_immediate(self) -> list[str]:
        op = self.rng.choice(("lui", "auipc"))
        value = self.rng.choice((0, 1, 0x7FFFF, 0x80000, 0xFFFFF, self.rng.getrandbits(20)))
        return [f"{op} x{self.destination()}, {value:#x}"]

    def aligned_offset(self, width: int) -> int:
        return self.rng.randrange(0, DATA_BYTES, width)

    def load(self) -> list[str]:
        op, width = self.rng.choice(list(LOADS.items()))
        return [f"{op} x{self.destination()}, {self.aligned_offset(width)}(x{BUFFER_REGISTER})"]

    def store(self) -> list[str]:
        op, width = self.rng.choice(list(STORES.items()))
        return [f"{op} x{self.source()}, {self.aligned_offset(width)}(x{BUFFER_REGISTER})"]

    def offset_access(self) -> list[str]:
        """A load or store through a computed base, with a negative or positive offset."""
        base = self.rng.choice([r for r in DESTINATIONS if r != 0])
        pivot = self.rng.randrange(0, DATA_BYTES + 1, 4)
        if self.rng.random() < 0.5:
            op, width = self.rng.choice(list(LOADS.items()))
            target = self.aligned_offset(width)
            access = f"{op} x{self.destination()}, {target - pivot}(x{base})"
        else:
            op, width = self.rng.choice(list(STORES.items()))
            target = self.aligned_offset(width)
            access = f"{op} x{self.source()}, {target - pivot}(x{base})"
        return [f"addi x{base}, x{BUFFER_REGISTER}, {pivot}", access]

    def edge_case(self) -> list[str]:
        """Division by zero, INT_MIN / -1, and shifts by register amounts >= 32."""
        a, b, rd = self.rng.choice(DESTINATIONS[1:]), self.rng.choice(DESTINATIONS[1:]), self.destination()
        if self.rng.random() < 0.6:
            dividend, divisor = self.rng.choice(((INT_MIN, MINUS_ONE), (INT_MIN, 0), (0, 0),
                                                 (self.rng.getrandbits(32), 0), (MINUS_ONE, MINUS_ONE),
                                                 (INT_MIN, 1), (0x7FFF_FFFF, MINUS_ONE)))
            op = self.rng.choice(DIVISION_OPS)
        else:
            dividend = self.initial_value()
            divisor = self.rng.choice((32, 33, 63, 64, 0xFFFF_FFE1, self.rng.getrandbits(32)))
            op = self.rng.choice(SHIFT_OPS)
        return [f"li x{a}, {dividend:#x}", f"li x{b}, {divisor:#x}", f"{op} x{rd}, x{a}, x{b}"]

    def skipped(self) -> list[str]:
        lines = []
        for _ in range(self.rng.randint(1, 3)):
            lines += self.straight()
        return lines

    def forward_branch(self) -> list[str]:
        op = self.rng.choice(BRANCHES)
        rs1 = self.source()
        rs2 = rs1 if self.rng.random() < 0.15 else self.source()
        target = self.label()
        return [f"{op} x{rs1}, x{rs2}, {target}", *self.skipped(), f"{target}:"]

    def loop(self) -> list[str]:
        """A counted loop: tp from 1..5 down to 0, the body straight-line code."""
        top = self.label()
        body = []
        for _ in range(self.rng.randint(1, 4)):
            body += self.straight()
        return [f"li x{LOOP_REGISTER}, {self.rng.randint(1, 5)}", f"{top}:", *body,
                f"addi x{LOOP_REGISTER}, x{LOOP_REGISTER}, -1",
                f"bnez x{LOOP_REGISTER}, {top}"]

    def jump(self) -> list[str]:
        target = self.label()
        return [f"jal x{self.destination()}, {target}", *self.skipped(), f"{target}:"]

    def indirect_jump(self) -> list[str]:
        """JALR to a forward label through a computed address, with an offset, an odd
        address (bit 0 is cleared) or rd == rs1 (the target is read before the link is
        written)."""
        target = self.label()
        base = self.rng.choice([r for r in DESTINATIONS if r != 0])
        rd = base if self.rng.random() < 0.25 else self.destination()
        offset = self.rng.choice((0, 0, 4, -4, 2047, -2047, 1))
        # jalr's target is (base + offset) & ~1: an offset of 1 tests the cleared bit.
        adjust = -offset if offset != 1 else 0
        lines = [f"la x{base}, {target}"]
        if adjust:
            lines.append(f"addi x{base}, x{base}, {adjust}")
        return [*lines, f"jalr x{rd}, {offset}(x{base})", *self.skipped(), f"{target}:"]

    def epilogue(self) -> list[str]:
        summed = self.label()
        gp = f"x{BUFFER_REGISTER}"
        return [
            *(f"sw x{r}, {DUMP_OFFSET + 4 * r}({gp})" for r in range(REGISTER_COUNT)),
            f"addi t0, {gp}, {DUMP_OFFSET}",
            "li t1, 0",
            f"li t2, {REGISTER_COUNT}",
            f"{summed}:",
            "lw t3, 0(t0)",
            "add t1, t1, t3",
            "addi t0, t0, 4",
            "addi t2, t2, -1",
            f"bnez t2, {summed}",
            "li a0, 1",
            f"mv a1, {gp}",
            f"li a2, {OUTPUT_BYTES}",
            f"li a7, {SYS_WRITE}",
            "ecall",
            "mv a0, t1",
            f"li a7, {SYS_EXIT}",
            "ecall",
        ]
