"""The CPU region: operation flags, pc flow, halting and padding.

**Flags.** ``op.*`` has one boolean per circuit operation (``columns.ROM_OPS``, with
the four kinds of ecall row) and per syscall row kind. Their sum ``is_real`` is
boolean, so at most one flag is set; an instruction row's flags are fixed by the ROM
lookup (``sum_f code(f)·f`` is the ROM's ``op``, and codes are distinct and non-zero).

**pc flow.** ``pc' = pc + Δ`` on every transition, with Δ by operation:

    ALU, M, loads, stores, rdcycle, ecall brk/"other", args of other writes   4
    branches                                     4 + taken·(target - pc - 4)
    CONST (lui, auipc, jal, fence)               target - pc        (ROM)
    jalr                                         (rs1 + imm) & ~1 - pc
    ecall exit / read / write                    0  (exit halts; read/write go on
    args and io rows                             4·(1 - more)        with their rows)
    padding                                      0

**Halting.** Row 0 of segment 0 executes an instruction at ``entry`` (a public
value); a later segment's row 0 continues the state the previous one handed over
(:mod:`engine.circuit.boundary`). ``is_real`` only drops, and only after the exit
row: ``is_real' = is_real - exit`` (across boundaries too); on the last real row of
the last segment ``is_real = exit``. So there is exactly one exit row, every row
before it is real, and every row after it is padding: no flags, so no bus traffic
(every slot multiplicity is a flag sum or a column forced to 0 on padding rows), and
pc and the journal position stay put.

**The cycle counter.** ``rdcycle`` (also ``rdtime``, ``rdinstret``: one ROM operation)
writes to rd the number of rows the run executed before this one: ``X`` equals
``first_cycle + idx``, where ``first_cycle`` is a public value (the real rows of the
segments before this one, which the verifier computes from their heights) and ``idx``
the row index, and rd gets ``X``. Every segment before one that executes a row is full
(``is_real`` drops only after the exit), so ``first_cycle + idx`` is that row's index in
the run. ``X``'s top three bits are 0: ``X < 2^29 < p``, and a run has fewer than 2^29
rows (the verifier refuses more), so the field equation pins ``X`` to the integer
itself and the prover has no choice (without the bound, ``X + p`` would fit in 32
bits). The high halves (``rdcycleh`` & co.) are ``lui rd, 0`` in the ROM.
"""
from __future__ import annotations

from engine.circuit.capacity import COUNTER_BITS
from engine.circuit.columns import FLAGS, Columns, bits_value
from engine.stark.air import FIRST, LAST, TRANSITION, AirBuilder

STEP4 = ("add", "sub", "slt", "sltu", "xor", "or", "and", "sll", "srl", "sra",
         "lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw",
         "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "brk", "other",
         "args_wn", "rdcycle")
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu")


def constrain(b: AirBuilder, c: Columns, publics: dict) -> None:
    op, cpu = c.op, c.cpu
    x = c.x
    real = c.is_real
    is_first, is_last = publics["is_first"], publics["is_last"]
    with b.scope("cpu"):
        for f in FLAGS:
            b.constrain(f"flag_{f}_boolean", op[f] * (op[f] - 1))
        b.constrain("one_flag", real * (real - 1))
        b.constrain("first_row_executes", is_first * (c.instruction - 1), when=FIRST)
        b.constrain("entry_pc", is_first * (cpu.pc - publics["entry"]), when=FIRST)
        b.constrain("real_until_exit", real.next - real + op["exit"], when=TRANSITION)
        b.constrain("halts", is_last * (real - op["exit"]), when=LAST)

        branch = c.flags(*BRANCHES)
        more = c.hv("io", "more")
        target_jalr = bits_value(x, 0, 16) + bits_value(x, 16, 16) * 65536 - x[0]
        step = (c.flags(*STEP4) * 4
                + branch * 4 + branch * c.hv("cmp", "taken") * (cpu.target - cpu.pc - 4)
                + op["const"] * (cpu.target - cpu.pc)
                + op["jalr"] * (target_jalr - cpu.pc)
                + c.flags("args_r", "args_wj", "io_r", "io_w") * (1 - more) * 4)
        b.constrain("pc_step", cpu.pc.next - cpu.pc - step, when=TRANSITION)

        rdcycle = op["rdcycle"]
        b.constrain("cycle_value",
                    rdcycle * (bits_value(x, 0, 32) - publics["first_cycle"] - c.table.idx))
        b.constrain("cycle_below_2_29", rdcycle * sum(x[COUNTER_BITS:], 0))
