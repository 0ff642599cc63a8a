"""Dishonest witnesses: one per constraint family, each rejected twice.

Each test takes an honest witness, makes the change an attacker would make (fixing up
the columns that depend on it, so that it is a real attack and not a typo), and checks
that the row checker names the constraint or the bus that catches it; then the
dishonest prover proves that witness with every prover-side check switched off, and
the verifier must reject the proof.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.circuit.columns import OP_CODE, ROM_FIELDS
from engine.circuit.image import MachineImage
from engine.circuit.witness import segment_messages
from engine.segments.witness import generate_witness
from engine.vm import execute, load_elf
from tests.circuit.support import (Edit, asm_witness, failed_constraints, prove_segment,
                                   unbalanced_buses, verify_segment)
from tests.rejection import assert_rejected as assert_refused
from tests.vm.asm import BRANCH_OPS, DATA_BASE, TEXT_BASE, Asm, b_type, i_type

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


# The verifier's reasons for a proof of a dishonest witness: an unbalanced bus is caught
# by the LogUp sum, checked before the openings; a broken constraint by the check at the
# out-of-domain point (the prover interpolates its quotient and cuts it to the degree
# bound, engine.stark.quotient, so FRI and the openings pass and only that check fails).
BUS_REASON = "the LogUp sum S and the public messages do not cancel"
CONSTRAINT_REASON = "the constraints do not hold"


def verifier_reason(report) -> str:
    """What the verifier says of a proof of a witness the row checker reported so."""
    return BUS_REASON if unbalanced_buses(report) else CONSTRAINT_REASON


def assert_rejected(edit: Edit, *, constraint: str | None = None, bus: str | None = None,
                    row: int | None = None):
    """The row checker rejects ``edit`` (naming ``constraint`` at ``row`` and ``bus``, if
    given), and the verifier rejects its proof for the reason the report implies: the
    LogUp sum when a bus is unbalanced, else the constraint check. Returns the report."""
    report = edit.check()
    assert not report.ok
    if constraint is not None:
        assert constraint in failed_constraints(report), str(report)
        if row is not None:
            failure = next(f for f in report.failures if f.constraint == constraint)
            assert failure.row == row, str(report)
    if bus is not None:
        assert bus in unbalanced_buses(report), str(report)
    witness = edit.result()
    proof = prove_segment(witness, check=False, rng=np.random.default_rng(5))
    assert_refused(verify_segment(proof, publics=witness.publics, image=witness.image,
                                  public_messages=witness.public_messages),
                   verifier_reason(report))
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


# --- loads and stores ---------------------------------------------------------------------

def memory_op(name: str, offset: int) -> tuple[Edit, int]:
    """A load into x7 (overwritten next) or a store of x6 (its word overwritten next)."""
    prog = Asm()
    prog.data += bytes([0x80, 0x7F, 0xFF, 0x01, 0x00, 0x80, 0x34, 0x12])
    prog.li(8, DATA_BASE)
    prog.li(6, 0x89ABCDEF)
    pc = prog.pc
    if name.startswith("l"):
        prog.op(name, 7, 8, offset)
        prog.op("addi", 7, 0, 0)
    else:
        prog.store(name, 6, 8, offset)
        prog.store("sw", 0, 8, offset & ~3)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    return edit, edit.row_at(pc)


@pytest.mark.parametrize("name,offset,change", [
    ("lb", 0, 0xFFFF0000), ("lb", 1, 0xFFFF0000), ("lbu", 2, 0x100), ("lh", 0, 0xFFFF0000),
    ("lh", 2, 0x10000), ("lhu", 2, 0x10000), ("lw", 4, 1),
])
def test_load_with_a_wrong_extension_or_value_is_rejected(name, offset, change):
    edit, row = memory_op(name, offset)
    edit.set_rd(row, edit.value("mem.c", row) ^ change)
    report = assert_rejected(edit, row=row)
    assert failed_constraints(report) & {"def.rd_lo", "def.rd_hi"}
    assert not unbalanced_buses(report)


def test_load_of_another_byte_of_the_word_is_rejected():
    edit, row = memory_op("lbu", 0)
    edit[("alu.h0", row)], edit[("alu.h1", row)] = 0, 1    # the one-hot says byte 1
    edit.set_rd(row, 0x7F)
    assert_rejected(edit, constraint="alu.offset_one_hot0", row=row)


def test_load_of_a_value_memory_does_not_hold_is_rejected():
    edit, row = memory_op("lw", 0)
    edit.set_bits("y", row, 0x12345678)                     # the loaded word ...
    edit.set_rd(row, 0x12345678)                            # ... and rd agree
    edit.set_value("mem.n", row, 0x12345678)                # a read leaves what it read
    report = assert_rejected(edit, bus="memory")
    assert not failed_constraints(report)


def test_misaligned_word_load_is_rejected():
    """lw at an address that is 2 mod 4 faults; the fork ran lw at the aligned address
    below, and the witness claims it for the faulting instruction."""
    prog = Asm()
    prog.data += bytes(8)
    prog.li(8, DATA_BASE)
    pc = prog.pc
    prog.op("lw", 7, 8, 2)
    prog.exit(code=0)
    patched = Asm()
    patched.words, patched.data = list(prog.words), prog.data
    patched.words[(pc - TEXT_BASE) // 4] = i_type(0, 8, 2, 7, 0x03)     # lw x7, 0(x8)
    result = execute(load_elf(patched.elf()), record_trace=True)
    witness = generate_witness(MachineImage.from_program(load_elf(prog.elf())), result)
    edit = Edit(witness)
    row = edit.row_at(pc)
    assert_rejected(edit, constraint="alu.word_aligned", row=row)


@pytest.mark.parametrize("name,offset", [("sb", 0), ("sb", 3), ("sh", 2), ("sw", 0)])
def test_store_of_a_wrong_word_is_rejected(name, offset):
    edit, row = memory_op(name, offset)
    wrong = edit.value("mem.n", row) ^ 0x00010100          # bytes the store may not touch
    edit.set_value("mem.n", row, wrong)
    reader, slot = edit.find_reader(4 * (row + 1) + 2)
    assert slot == "ram"
    edit.set_bits("y", reader, wrong)                       # the overwrite saw that word
    report = assert_rejected(edit, row=row)
    assert failed_constraints(report) & {"def.ram_lo", "def.ram_hi"}
    assert not unbalanced_buses(report)


def test_store_into_code_is_rejected():
    """A store whose word is a code word: as kind CODE it breaks the write rule; as kind
    RAM there is no such word to receive (code words start their chain as CODE)."""
    edit, row = memory_op("sw", 0)
    code_word = 0x10000 // 4
    edit[("mem.w", row)] = code_word
    edit.set_bits("x", row, code_word * 4)
    edit.set_value("mem.a", row, code_word * 4)
    edit[("mem.ro", row)] = 1
    assert_rejected(edit, constraint="mem.writes_not_code", row=row, bus="memory")
    edit[("mem.ro", row)] = 0
    report = assert_rejected(edit, bus="memory")
    assert "mem.writes_not_code" not in failed_constraints(report)


# --- the M extension -----------------------------------------------------------------------

def set_product_bytes(edit: Edit, row: int, limbs: list[int]) -> None:
    for k, limb in enumerate(limbs):
        edit[(f"alu.u{2 * k}", row)] = limb & 0xFF
        edit[(f"alu.u{2 * k + 1}", row)] = limb >> 8


@pytest.mark.parametrize("name,a,b", [
    ("mul", 0xDEADBEEF, 0x12345678), ("mulh", NEG1, 7), ("mulhsu", INT_MIN, NEG1),
    ("mulhu", NEG1, NEG1),
])
def test_wrong_product_is_rejected(name, a, b):
    edit, row = one_op(name, a, b)
    limbs = [edit[(f"alu.u{2 * k}", row)] | (edit[(f"alu.u{2 * k + 1}", row)] << 8)
             for k in range(4)]
    half = 0 if name == "mul" else 2
    limbs[half] ^= 1                                       # the written half is off by one
    set_product_bytes(edit, row, limbs)
    edit.set_rd(row, limbs[half] | (limbs[half + 1] << 16))
    edit.recount("byte", "mult.byte")
    report = assert_rejected(edit, constraint=f"muldiv.limb{half}", row=row)
    assert not unbalanced_buses(report)


def remainder_attack(edit: Edit, row: int, q: int, r: int) -> None:
    """Put quotient ``q`` and remainder ``r`` (32-bit) in the row, carries recomputed so
    that ``q·b + r = a`` still holds limb by limb."""
    from engine.circuit.witness_alu import limb_sums
    a, b = edit.value("mem.a", row), edit.bits("y", row)
    signed = edit[("op.div", row)] or edit[("op.rem", row)]
    edit.set_bits("x", row, q)
    sx, sy = (q >> 31) * signed, (b >> 31) * signed
    edit[("alu.h0", row)], edit[("alu.h1", row)] = sx, sy
    nr, na = (r >> 31) * signed, (a >> 31) * signed
    edit[("alu.nr", row)] = nr
    for k in range(4):
        edit[(f"alu.u{k}", row)] = (r >> (8 * k)) & 0xFF
    t = limb_sums(*(np.array([v], dtype=np.int64) for v in (q, b, sx, sy)))[:, 0]
    z = [r & 0xFFFF, r >> 16, nr * 0xFFFF, nr * 0xFFFF]
    w = [a & 0xFFFF, a >> 16, na * 0xFFFF, na * 0xFFFF]
    carry = 0
    for m in range(4):
        total = int(t[m]) + z[m] + carry - w[m]
        assert total % 65536 == 0, "the attack must keep q·b + r = a"
        carry = total >> 16
        edit[(f"alu.u{8 + m}", row)] = carry
    edit.recount("byte", "mult.byte")


@pytest.mark.parametrize("name,a,b", [("divu", 100, 7), ("remu", 100, 7), ("div", 100, 7),
                                      ("rem", (-100) & NEG1, 7)])
def test_division_with_a_remainder_too_large_is_rejected(name, a, b):
    """q - 1 and r + |b|: still q·b + r = a, but the remainder is not below the divisor."""
    edit, row = one_op(name, a, b)
    q = edit.bits("x", row)
    r = edit[("alu.u0", row)] | edit[("alu.u1", row)] << 8 | edit[("alu.u2", row)] << 16 \
        | edit[("alu.u3", row)] << 24
    signed_negative = name == "rem"
    q2, r2 = ((q + 1) & NEG1, (r - b) & NEG1) if signed_negative else (q - 1, r + b)
    remainder_attack(edit, row, q2, r2)
    edit.set_rd(row, q2 if name.startswith("div") else r2)
    report = assert_rejected(edit, row=row)
    assert failed_constraints(report) & {"muldiv.bound_lo", "muldiv.bound_hi"}, str(report)
    assert "muldiv.limb0" not in failed_constraints(report)


def test_signed_remainder_with_the_divisors_sign_is_rejected():
    """-7 / 2 rounds toward zero: q = -3, r = -1. Floor division (q = -4, r = 1) also has
    q·b + r = a and |r| < |b|, but r must have the dividend's sign."""
    edit, row = one_op("rem", (-7) & NEG1, 2)
    remainder_attack(edit, row, (-4) & NEG1, 1)
    edit.set_rd(row, 1)
    report = assert_rejected(edit, constraint="muldiv.r_zero_or_signed", row=row)
    assert "muldiv.limb0" not in failed_constraints(report)


@pytest.mark.parametrize("name", ["div", "divu", "rem", "remu"])
def test_division_by_zero_with_another_quotient_is_rejected(name):
    edit, row = one_op(name, 1234, 0)
    remainder_attack(edit, row, 0, 1234)                   # q = 0 instead of all ones
    edit.set_rd(row, 0 if name.startswith("div") else 1234)
    assert_rejected(edit, constraint="muldiv.bz_quotient_ones", row=row)
    edit[("alu.bz", row)] = 0                              # or deny dividing by zero
    assert_rejected(edit, constraint="muldiv.bound_hi", row=row)


@pytest.mark.parametrize("name", ["div", "rem"])
def test_overflow_division_read_as_signed_is_rejected(name):
    """INT_MIN / -1: without the overflow flag no quotient satisfies the identity."""
    edit, row = one_op(name, INT_MIN, NEG1)
    assert edit[("alu.h2", row)] == 1
    edit[("alu.h2", row)] = 0
    edit[("alu.h0", row)] = 1                              # q = 0x8000_0000 read as signed
    report = assert_rejected(edit, row=row)
    assert {f for f in failed_constraints(report) if f.startswith("muldiv.limb")}


def test_overflow_flag_on_another_division_is_rejected():
    edit, row = one_op("div", 100, 7)
    edit[("alu.h2", row)] = 1
    report = assert_rejected(edit, row=row)
    assert {"muldiv.ovf_dividend_lo", "muldiv.ovf_dividend_hi"} & failed_constraints(report)


# --- register and memory consistency, timestamps, x0 ------------------------------------

def test_register_read_of_a_value_never_written_is_rejected():
    edit, row = one_op("add", 7, 9)
    edit.set_value("mem.a", row, 8)                         # claim x5 held 8 ...
    edit.set_bits("x", row, 17)                             # ... and add consistently
    edit.set_rd(row, 17)
    report = assert_rejected(edit, bus="memory")
    assert not failed_constraints(report)


def test_read_of_x0_as_nonzero_is_rejected():
    edit, _ = one_op("add", 7, 9)
    prog_row = int(edit.rows_of("add")[0])                  # li x5, 7 = addi x5, x0, 7
    assert edit[("cpu.rs1", prog_row)] == 0
    edit.set_value("mem.a", prog_row, 1)
    edit.set_bits("x", prog_row, 8)
    report = assert_rejected(edit, bus="memory")
    assert "def.x_lo" not in failed_constraints(report)


def test_write_to_x0_is_rejected():
    prog = Asm()
    prog.li(10, 0)
    prog.li(17, 93)
    prog.li(5, 7)                                          # the last read of x0
    pc = prog.pc
    prog.op("addi", 0, 5, 1)
    prog.ecall()
    edit = Edit(asm_witness(prog))
    row = edit.row_at(pc)
    assert edit[("cpu.wr", row)] == 0 and edit.value("mem.c", row) == 8
    # Write 8 to x0: the rd slot receives x0's last message (the read by li x5, 7) and
    # sends 8, which the boundary table receives and hands to the final memory. x0's
    # chain is consistent, but the ROM says the instruction writes nothing.
    prev_ts, ts = 4 * row, 4 * (row + 1) + 3
    edit[("cpu.wr", row)] = 1
    edit.set_prev_ts("rd", row, prev_ts)
    edit.recount("range", "mult.range")
    bt = int(np.flatnonzero(edit.main[edit.index["bt.addr"]] == 0)[0])
    ft = int(np.flatnonzero(edit.main[edit.index["ft.addr"]] == 0)[0])
    assert edit[("bx.last_ts", bt)] == prev_ts
    edit[("bx.last_ts", bt)], edit[("bt.out_lo", bt)], edit[("ft.lo", ft)] = ts, 8, 8
    report = assert_rejected(edit, bus="program")
    assert unbalanced_buses(report) == {"program"}
    assert not failed_constraints(report)


def test_read_of_a_later_write_is_rejected():
    """Reading the future: a read takes its value from a write that comes after it.
    Every memory message still matches; only prev_ts < ts fails (its decomposition
    needs a timestamp difference outside the range table)."""
    prog = Asm()
    prog.li(5, 1)                                          # w1: x5 = 1
    pc = prog.pc
    prog.op("add", 7, 5, 0)                                # r: reads x5 (1)
    prog.op("addi", 7, 0, 0)
    prog.li(5, 2)                                          # w2: x5 = 2
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    r = edit.row_at(pc)
    w2 = r + 2
    ts_r, ts_w2 = 4 * (r + 1), 4 * (w2 + 1) + 3
    ts_w1 = edit[("mem.rs1_prev_ts", r)]
    edit.set_prev_ts("rs1", r, ts_w2)                      # r reads what w2 wrote: 2
    edit.set_value("mem.a", r, 2)
    edit.set_bits("x", r, 2)
    edit.set_rd(r, 2)
    edit.set_prev_ts("rd", w2, ts_w1)                      # w2 overwrites w1's 1
    bt = int(np.flatnonzero(edit.main[edit.index["bt.addr"]] == 5)[0])
    edit[("bx.last_ts", bt)] = ts_r                        # the last access of x5 is r
    edit.recount("range", "mult.range")
    report = assert_rejected(edit, bus="range")
    assert not failed_constraints(report)
    assert unbalanced_buses(report) == {"range"}


# --- program binding ------------------------------------------------------------------------

def test_instruction_with_another_immediate_is_rejected():
    edit, row = one_op("addi", 7, 9)
    edit[("cpu.imm_lo", row)] = 10                         # claim addi x7, x5, 10
    edit.set_bits("x", row, 17)
    edit.set_rd(row, 17)
    report = assert_rejected(edit, bus="program")
    assert not failed_constraints(report)


def test_instruction_run_as_another_operation_is_rejected():
    edit, row = one_op("add", 7, 9)
    edit.set_flag(row, "sub")                              # claim sub x7, x5, x6
    edit.set_bits("x", row, (7 - 9) & NEG1)
    edit[("alu.k0", row)], edit[("alu.k1", row)] = 1, 1
    edit.set_rd(row, (7 - 9) & NEG1)
    report = assert_rejected(edit, bus="program")
    assert not failed_constraints(report)


def rom_row(edit: Edit, pc: int) -> int:
    """The ROM row describing the word at ``pc``."""
    return (pc - edit.witness.image.code_base) // 4


def test_rom_changed_with_the_fetch_is_rejected_by_the_image():
    """The attacker changes an immediate in the ROM region too, so the fetch finds it:
    the ROM no longer holds the image's rows (``program_image``)."""
    edit, row = one_op("addi", 7, 9)
    pc = edit[("cpu.pc", row)]
    edit[("cpu.imm_lo", row)] = 10                         # claim addi x7, x5, 10 ...
    edit[("rom.imm_lo", rom_row(edit, pc))] = 10           # ... and that the ROM says so
    edit.set_bits("x", row, 17)
    edit.set_rd(row, 17)
    report = assert_rejected(edit, bus="program_image")
    assert unbalanced_buses(report) == {"program_image"}
    assert not failed_constraints(report)


def test_rom_op_changed_with_the_fetch_is_rejected_by_the_image():
    edit, row = one_op("add", 7, 9)
    pc = edit[("cpu.pc", row)]
    edit.set_flag(row, "sub")                              # claim sub x7, x5, x6 ...
    edit[("rom.op", rom_row(edit, pc))] = OP_CODE["sub"]   # ... in the ROM too
    edit.set_bits("x", row, (7 - 9) & NEG1)
    edit[("alu.k0", row)], edit[("alu.k1", row)] = 1, 1
    edit.set_rd(row, (7 - 9) & NEG1)
    report = assert_rejected(edit, bus="program_image")
    assert unbalanced_buses(report) == {"program_image"}
    assert not failed_constraints(report)


def test_rom_row_repeated_in_a_padding_row_is_rejected():
    """A second copy of a fetched row, in place of a padding row, taking one of its
    fetches: the fetches balance, the ROM's multiset does not."""
    edit, row = one_op("add", 7, 9)
    source = rom_row(edit, edit[("cpu.pc", row)])
    padding = len(edit.witness.image.code_words)
    assert edit[("mult.rom", source)] == 1
    for field in ROM_FIELDS:
        assert edit[(f"rom.{field}", padding)] == 0
        edit[(f"rom.{field}", padding)] = edit[(f"rom.{field}", source)]
    edit[("mult.rom", source)], edit[("mult.rom", padding)] = 0, 1
    report = assert_rejected(edit, bus="program_image")
    assert unbalanced_buses(report) == {"program_image"}
    assert not failed_constraints(report)


@pytest.mark.parametrize("field,value", [("pc", 0), ("op", OP_CODE["add"]), ("target", 1)])
def test_a_padding_rom_row_made_non_zero_is_rejected(field, value):
    edit, _ = one_op("add", 7, 9)
    padding = len(edit.witness.image.code_words) + 3
    if field == "pc":
        # A made-up instruction right after the code: an add at a pc the image lacks.
        edit[("rom.pc", padding)] = edit.witness.image.code_base + 4 * padding
        edit[("rom.op", padding)] = OP_CODE["add"]
    else:
        edit[(f"rom.{field}", padding)] = value
    report = assert_rejected(edit, bus="program_image")
    assert unbalanced_buses(report) == {"program_image"}


def test_the_rom_needs_no_order():
    """The image's rows in any order (and their multiplicities with them) satisfy the
    AIR: the fetch is a lookup, not a read at a position."""
    edit, _ = one_op("add", 7, 9)
    n = len(edit.witness.image.code_words)
    columns = [edit.index[f"rom.{f}"] for f in ROM_FIELDS] + [edit.index["mult.rom"]]
    order = np.random.default_rng(3).permutation(n)
    edit.main[np.ix_(columns, np.arange(n))] = edit.main[np.ix_(columns, order)]
    assert edit.check().ok


def test_witness_checked_against_another_programs_image_is_rejected():
    edit, _ = one_op("add", 7, 9)
    other, _ = one_op("sub", 7, 9)
    witness = edit.result(image=other.witness.image,
                          public_messages=other.witness.public_messages)
    report = witness.check()
    # The trace's ROM is its own program's, so the fetches balance; the other image's
    # rows do not match it.
    assert unbalanced_buses(report) == {"program_image"}


# --- journal, exit code, halting, padding -------------------------------------------------

def journal_program() -> Asm:
    prog = Asm()
    prog.data += b"\x00Hello, journal!\x00"
    prog.syscall(64, 1, DATA_BASE + 1, 8)
    prog.syscall(64, 1, DATA_BASE + 9, 7)
    prog.exit(code=3)
    return prog


def with_claimed_journal(edit: Edit, journal: bytes) -> Edit:
    edit.messages = segment_messages(edit.witness.image, journal, 0, len(journal))
    edit.publics["j_out"] = len(journal)
    return edit


def test_changed_journal_byte_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    assert edit.witness.journal == b"Hello, journal!"
    with_claimed_journal(edit, b"Hello, Journal!")
    report = assert_rejected(edit, bus="journal")
    assert not failed_constraints(report)
    sources = {m.source for m in report.bus("journal").unmatched}
    assert "public" in sources and any(s.startswith("sys.journal_byte") for s in sources)


@pytest.mark.parametrize("claim", [b"Hello, journal!!", b"Hello, journal"])
def test_journal_with_an_extra_or_missing_byte_is_rejected(claim):
    edit = with_claimed_journal(Edit(asm_witness(journal_program())), claim)
    assert_rejected(edit, constraint="sys.jpos_last", bus="journal")
    # Keeping the true length hides nothing: the bytes then disagree.
    edit.publics["j_out"] = 15
    assert_rejected(edit, bus="journal")


def test_journal_write_reported_as_failed_is_rejected():
    """The attacker drops the second write from the journal, claiming -EFAULT."""
    prog = journal_program()
    edit = Edit(asm_witness(prog))
    args = edit.rows_of("args_wj")[1]
    io = [r for r in range(args + 1, args + 4) if edit[("op.io_w", r)]]
    assert edit[("alu.h4", args)] == 1                     # cp: the write copied
    edit[("alu.h4", args)], edit[("alu.h10", args)] = 0, 0  # no copy ...
    efault = (-14) & NEG1
    edit.set_value("mem.c", args, efault)                  # ... a0 = -EFAULT
    edit[("cpu.wr", args)] = 1
    for r in io:                                           # the copy rows vanish: the
        edit.set_flag(r, None)                             # witness would shift rows
    with_claimed_journal(edit, b"Hello, j")
    assert_rejected(edit, constraint="sys.wj_cp", row=int(args))


def test_changed_exit_code_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    row = int(edit.rows_of("exit")[0])
    edit.publics["exit_lo"] = 4
    report = assert_rejected(edit, constraint="sys.exit_code_lo", row=row)
    assert not unbalanced_buses(report)


def test_exit_code_top_half_is_bound():
    edit = Edit(asm_witness(journal_program()))
    edit.publics["exit_hi"] = 1
    assert_rejected(edit, constraint="sys.exit_code_hi")


def test_run_cut_before_its_exit_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    row = int(edit.rows_of("exit")[0])
    edit.set_flag(row, None)                               # the exit row becomes padding
    assert_rejected(edit, constraint="cpu.real_until_exit", row=row - 1)


def test_row_executing_after_the_exit_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    row = int(edit.rows_of("exit")[0]) + 1
    edit.set_flag(row, "add")                              # x0 = x0 + 0 after halting
    assert_rejected(edit, constraint="cpu.real_until_exit", row=row - 1)


def test_exit_claimed_for_another_syscall_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    ecall = int(edit.rows_of("write")[0])
    edit.set_flag(ecall, "exit")                           # stop at the first write
    for r in range(ecall + 1, edit.witness.shape.real_rows):
        edit.set_flag(r, None)
    edit.publics["exit_lo"] = 1                            # a0 = fd = 1 there
    assert_rejected(edit, constraint="sys.a7_lo", row=ecall)


def test_exit_hidden_as_another_syscall_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    row = int(edit.rows_of("exit")[0])
    edit.set_flag(row, "other")                            # keep running past exit ...
    assert_rejected(edit, constraint="sys.other_a7", row=row)


def test_padding_row_writing_memory_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    row = int(edit.rows_of("exit")[0]) + 3
    edit[("cpu.wr", row)] = 1
    assert_rejected(edit, constraint="sys.wr", row=row)
    edit[("cpu.wr", row)] = 0
    edit[("cpu.use_rs2", row)] = 1
    assert_rejected(edit, constraint="sys.use_rs2", row=row)


def test_padding_row_moving_the_pc_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    row = int(edit.rows_of("exit")[0]) + 3
    edit[("cpu.pc", row)] = edit[("cpu.pc", row)] + 4
    assert_rejected(edit, constraint="cpu.pc_step", row=row - 1)


# --- syscalls and final memory --------------------------------------------------------------

def test_read_copying_for_another_fd_is_rejected():
    prog = Asm()
    prog.data += bytes(8)
    prog.syscall(63, 3, DATA_BASE, 4)                       # fd 3: EBADF, no copy
    prog.exit(code=0)
    edit = Edit(asm_witness(prog, b"data"))
    ecall = int(edit.rows_of("read")[0])
    edit[("alu.h13", ecall + 1)] = 1                       # rz: claim fd was 0
    assert_rejected(edit, constraint="sys.read_carries_fd", row=ecall)
    edit[("alu.h0", ecall)] = 1                            # and z0 on the ecall row
    assert_rejected(edit, constraint="sys.read_fd_zero", row=ecall)


def test_copy_past_the_requested_count_is_rejected():
    """read(0, buf, 2) whose copy rows move 3 bytes: the first copy row must start with
    exactly the count (``tests/circuit/test_dishonest_syscalls.py`` has the others)."""
    prog = Asm()
    prog.data += bytes(8)
    prog.syscall(63, 0, DATA_BASE, 2)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog, b"abc"))
    args = int(edit.rows_of("args_r")[0])
    io = args + 1
    edit[("alu.h9", io)] = 3                               # left
    edit[("alu.h5", io)], edit[("alu.h6", io)] = 0, 1      # the window ends at byte 2
    assert_rejected(edit, constraint="sys.start_left", row=args)


def test_final_memory_with_a_word_twice_is_rejected():
    """Two final rows for one word would let it be initialised twice."""
    edit = Edit(asm_witness(journal_program()))
    ft_real = edit.main[edit.index["ft.real"], :edit.witness.shape.real_rows]
    last = int(np.flatnonzero(ft_real)[-1])
    names = [n for n in edit.index if n.startswith(("ft.", "fx.")) and n != "fx.prev"]
    for name in names:
        edit[(name, last + 1)] = edit[(name, last)]
    assert_rejected(edit, constraint="ft.addresses_increase", row=last + 1)


def test_ram_word_below_guest_memory_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    edit[("ft.addr", 32)] = 0x3FF                          # byte address 0xFFC
    for k in range(3):
        edit[(f"fx.a{k}", 32)] = (0x3FF >> (8 * k)) & 0xFF
    edit.recount("byte", "mult.byte")
    assert_rejected(edit, constraint="ft.addresses_increase", row=32)
