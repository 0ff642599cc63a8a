"""Dishonest witnesses: one per constraint family, each rejected by the row checker.

Each test takes an honest witness, makes the change an attacker would make (fixing up
the columns that depend on it, so that it is a real attack and not a typo), and
checks that the row checker names the constraint or the bus that catches it.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.circuit.image import MachineImage
from engine.circuit.syscalls import journal_messages
from engine.circuit.witness import generate_witness
from engine.stark.logup_trace import PublicMessages
from engine.vm import execute, load_elf
from tests.circuit.support import Edit, asm_witness, failed_constraints, unbalanced_buses
from tests.vm.asm import BRANCH_OPS, DATA_BASE, Asm, b_type

INT_MIN, NEG1 = 0x8000_0000, 0xFFFF_FFFF


def one_op(name: str, a: int, b: int) -> tuple[Edit, int]:
    """``x7 = x5 op x6`` (or ``x5 op imm``), x7 overwritten right after: the witness
    and the row of the operation."""
    prog = Asm()
    prog.li(5, a)
    prog.li(6, b)
    pc = prog.pc
    prog.op(name, 7, 5, 6 if not name.endswith("i") else b & 0xFFF)
    prog.op("addi", 7, 0, 0)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    return edit, edit.row_at(pc)


def flag_of(name: str) -> str:
    aliases = {"addi": "add", "slti": "slt", "sltiu": "sltu", "xori": "xor", "ori": "or",
               "andi": "and", "slli": "sll", "srli": "srl", "srai": "sra",
               "lui": "const", "auipc": "const", "jal": "const"}
    return aliases.get(name, name)


def assert_rejected(edit: Edit, *, constraint: str | None = None, bus: str | None = None,
                    row: int | None = None):
    report = edit.check()
    assert not report.ok
    if constraint is not None:
        assert constraint in failed_constraints(report), str(report)
        if row is not None:
            failure = next(f for f in report.failures if f.constraint == constraint)
            assert failure.row == row, str(report)
    if bus is not None:
        assert bus in unbalanced_buses(report), str(report)
    return report


# --- the ALU --------------------------------------------------------------------------

@pytest.mark.parametrize("name,a,b", [("add", 7, 9), ("addi", NEG1, 5), ("sub", 3, 9)])
def test_wrong_sum_or_difference_is_rejected_by_the_adder(name, a, b):
    edit, row = one_op(name, a, b)
    wrong = (edit.value("mem.c", row) + 1) & NEG1
    edit.set_rd(row, wrong)
    edit.set_bits("x", row, wrong)          # X holds the result: keep it consistent
    assert_rejected(edit, constraint="def.x_lo", row=row)


@pytest.mark.parametrize("name,a,b", [
    ("slt", NEG1, 1), ("sltu", NEG1, 1), ("slti", 5, 7), ("sltiu", 5, NEG1),
    ("and", 0xF0F0, 0xFF00), ("or", 0xF0F0, 0xFF00), ("xor", 0xF0F0, 0xFF00),
    ("andi", 0xF0F0, 0x7F0), ("ori", 0xF0F0, 0x7F0), ("xori", 0xF0F0, 0x7F0),
    ("sll", 0x1234, 4), ("srl", INT_MIN, 4), ("sra", INT_MIN, 4),
    ("slli", 0x1234, 31), ("srli", NEG1, 31), ("srai", INT_MIN, 31),
])
def test_wrong_result_is_rejected(name, a, b):
    edit, row = one_op(name, a, b)
    edit.set_rd(row, edit.value("mem.c", row) ^ 1)
    assert_rejected(edit, constraint="def.rd_lo", row=row)


def test_shift_by_another_amount_is_rejected():
    edit, row = one_op("sll", 0x1234, 4)
    edit.set_bits("y", row, 1 << 5)          # the one-hot amount claims 5 ...
    edit.set_rd(row, 0x1234 << 5)            # ... and the result follows it
    assert_rejected(edit, constraint="alu.shift_amount", row=row)


def test_signed_comparison_with_a_wrong_sign_is_rejected():
    edit, row = one_op("slt", NEG1, 1)       # -1 < 1
    edit[("alu.h2", row)] = 0                # sd: claim equal signs, so -1 >= 1
    edit.set_rd(row, 0)
    assert_rejected(edit, constraint="alu.sign_xor", row=row)


# --- control flow: a forked execution claimed for the honest program -------------------

def forked(prog: Asm, pc: int, word: int, data: bytes = b"") -> tuple[Edit, int]:
    """The run of ``prog`` with the instruction at ``pc`` replaced by ``word``, as a
    witness for the *unchanged* program: the attack "this instruction did that". The
    forked row keeps the honest run's register reads and rd write (rows before it are
    identical in both runs). Returns the witness and the forked row."""
    honest_program = load_elf(prog.elf())
    honest = execute(honest_program, data, record_trace=True).trace.rows
    index = (pc - honest_program.code_base) // 4
    patched = Asm()
    patched.words = list(prog.words)
    patched.words[index] = word
    patched.data = prog.data
    result = execute(load_elf(patched.elf()), data, record_trace=True)
    rows = result.trace.rows.copy()
    row = int(np.flatnonzero(rows[:, 0] == pc)[0])
    rows[row, 1:] = honest[row, 1:]
    rows[row, 2] = rows[row + 1, 0]                     # next_pc: where the fork went
    fork = type(result)(**{**result.__dict__, "trace": type(result.trace)(rows)})
    witness = generate_witness(MachineImage.from_program(honest_program), fork,
                               rng=np.random.default_rng(3))
    return Edit(witness), row


def branch_program(name: str, a: int, b: int, offset: int = 8) -> tuple[Asm, int]:
    prog = Asm()
    prog.li(5, a)
    prog.li(6, b)
    prog.li(9, 0)
    pc = prog.pc
    prog.branch(name, 5, 6, offset)
    prog.op("addi", 9, 9, 1)            # skipped when taken
    prog.op("addi", 9, 9, 2)
    prog.exit(9)
    return prog, pc


@pytest.mark.parametrize("name,a,b", [
    ("beq", 1, 2), ("beq", 3, 3), ("bne", 1, 2), ("bne", 3, 3), ("blt", NEG1, 1),
    ("blt", 1, NEG1), ("bge", NEG1, 1), ("bge", 1, NEG1), ("bltu", NEG1, 1),
    ("bltu", 1, NEG1), ("bgeu", NEG1, 1), ("bgeu", 1, NEG1),
])
def test_branch_going_the_other_way_is_rejected(name, a, b):
    prog, pc = branch_program(name, a, b)
    honest = asm_witness(prog)
    taken = int(honest.publics["exit_lo"]) == 2
    # The fork runs the opposite branch (same registers read), so it takes the other path.
    opposite = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu",
                "bgeu": "bltu"}[name]
    edit, row = forked(prog, pc, b_type(8, 6, 5, BRANCH_OPS[opposite]))
    assert edit.publics["exit_lo"] == (3 if taken else 2)
    edit[("alu.h3", row)] = 1 - int(taken)             # claim the branch went that way
    report = assert_rejected(edit, constraint="alu.taken", row=row)
    assert failed_constraints(report) == {"alu.taken"}
    assert not unbalanced_buses(report)


def test_branch_with_wrong_equality_flag_is_rejected():
    prog, pc = branch_program("beq", 1, 2, offset=4)   # taken or not, the next pc is pc + 4
    edit = Edit(asm_witness(prog))
    row = edit.row_at(pc)
    edit[("alu.h0", row)] = 1                          # eq: claim 1 == 2
    edit[("alu.h3", row)] = 1
    assert_rejected(edit, constraint="alu.eq_if_zero", row=row)


def test_jal_to_another_target_is_rejected():
    prog = Asm()
    pc = prog.pc
    prog.jal(1, 8)
    prog.li(9, 5)
    prog.exit(1)
    edit, row = forked(prog, pc, 0x00C000EF)           # jal ra, +12 instead of +8
    report = assert_rejected(edit, constraint="cpu.pc_step", row=row)
    # Claiming the other target in the CPU row breaks the ROM lookup instead.
    edit[("cpu.target", row)] = pc + 12
    report = assert_rejected(edit, bus="program")
    assert "cpu.pc_step" not in failed_constraints(report)


def test_jal_with_a_wrong_link_is_rejected():
    prog = Asm()
    pc = prog.pc
    prog.jal(7, 8)
    prog.op("addi", 7, 0, 0)
    prog.op("addi", 7, 0, 0)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    row = edit.row_at(pc)
    edit.set_rd(row, pc + 8)
    assert_rejected(edit, constraint="def.rd_lo", row=row)


def test_jalr_to_another_target_is_rejected():
    prog = Asm()
    prog.auipc(5, 0)
    pc = prog.pc
    prog.jalr(1, 5, 13)                                 # to auipc + 12 (bit 0 cleared)
    prog.li(9, 7)
    prog.exit(9)
    # The fork jumps one instruction further (auipc + 16, jal ra, +12). Its pc step
    # fails with the honest X = rs1 + imm; claiming X = that target breaks the sum.
    edit, row = forked(prog, pc, 0x00C000EF)
    report = assert_rejected(edit, constraint="cpu.pc_step", row=row)
    target = edit[("cpu.pc", row + 1)]
    edit.set_bits("x", row, target)
    edit[("alu.k0", row)] = 0
    report = assert_rejected(edit, constraint="def.x_lo", row=row)
    assert "cpu.pc_step" not in failed_constraints(report)


def test_jalr_keeping_bit_zero_is_rejected():
    prog = Asm()
    prog.auipc(5, 0)
    pc = prog.pc
    prog.jalr(1, 5, 13)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    row = edit.row_at(pc)
    # X = rs1 + 13 is odd; the next pc is X - 1. Claim X - 1 as the sum instead.
    edit.set_bits("x", row, edit.bits("x", row) - 1)
    assert_rejected(edit, constraint="def.x_lo", row=row)


@pytest.mark.parametrize("upper", ["lui", "auipc"])
def test_upper_immediate_with_another_value_is_rejected(upper):
    prog = Asm()
    pc = prog.pc
    getattr(prog, upper)(7, 0x12345000)
    prog.op("addi", 7, 0, 0)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    row = edit.row_at(pc)
    wrong = edit.value("mem.c", row) + 0x1000
    edit.set_rd(row, wrong)
    assert_rejected(edit, constraint="def.rd_lo", row=row)
    edit.set_value("cpu.kv", row, wrong)               # claim the ROM said so
    report = assert_rejected(edit, bus="program")
    assert not failed_constraints(report)
