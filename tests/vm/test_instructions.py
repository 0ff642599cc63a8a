"""Every RV32IM instruction, with its edge cases, against hand-computed results."""
from __future__ import annotations

import pytest

from engine.errors import GuestFault
from engine.vm import execute, load_elf
from tests.vm.asm import DATA_BASE, TEXT_BASE, Asm

INT_MIN = 0x80000000
NEG1 = 0xFFFFFFFF


def run(prog: Asm, input_data: bytes = b""):
    return execute(load_elf(prog.elf()), input_data)


def binop(name: str, a: int, b: int) -> int:
    prog = Asm()
    prog.li(5, a)
    prog.li(6, b)
    prog.op(name, 7, 5, 6)
    prog.exit(code=0)
    return int(run(prog).registers[7])


def immop(name: str, a: int, imm: int) -> int:
    prog = Asm()
    prog.li(5, a)
    prog.op(name, 7, 5, imm)
    prog.exit(code=0)
    return int(run(prog).registers[7])


@pytest.mark.parametrize("name,a,b,expected", [
    ("add", 1, 2, 3), ("add", NEG1, 1, 0), ("add", 0x7FFFFFFF, 1, INT_MIN),
    ("sub", 1, 2, NEG1), ("sub", 0, INT_MIN, INT_MIN), ("sub", 5, 5, 0),
    ("xor", 0xF0F0F0F0, 0xFF00FF00, 0x0FF00FF0), ("or", 0xF0F0F0F0, 0x0F, 0xF0F0F0FF),
    ("and", 0xF0F0F0F0, 0xFF00FF00, 0xF000F000),
    ("sll", 1, 31, INT_MIN), ("sll", 1, 32, 1), ("sll", 3, 33, 6), ("sll", NEG1, 0x3F, INT_MIN),
    ("srl", INT_MIN, 31, 1), ("srl", INT_MIN, 32, INT_MIN), ("srl", NEG1, 36, 0x0FFFFFFF),
    ("sra", INT_MIN, 31, NEG1), ("sra", INT_MIN, 32 + 4, 0xF8000000), ("sra", 0x40000000, 30, 1),
    ("slt", NEG1, 0, 1), ("slt", 0, NEG1, 0), ("slt", INT_MIN, 0x7FFFFFFF, 1), ("slt", 3, 3, 0),
    ("sltu", NEG1, 0, 0), ("sltu", 0, NEG1, 1), ("sltu", 3, 3, 0),
    ("mul", 3, 7, 21), ("mul", NEG1, NEG1, 1), ("mul", 0x10000, 0x10000, 0), ("mul", INT_MIN, 2, 0),
    ("mulh", NEG1, NEG1, 0), ("mulh", INT_MIN, INT_MIN, 0x40000000), ("mulh", INT_MIN, 1, NEG1),
    ("mulh", 0x7FFFFFFF, 0x7FFFFFFF, 0x3FFFFFFF),
    ("mulhu", NEG1, NEG1, 0xFFFFFFFE), ("mulhu", INT_MIN, 2, 1), ("mulhu", 3, 5, 0),
    ("mulhsu", NEG1, NEG1, NEG1), ("mulhsu", 1, NEG1, 0), ("mulhsu", INT_MIN, NEG1, 0x80000000),
    ("div", 7, 2, 3), ("div", (-7) & NEG1, 2, (-3) & NEG1), ("div", 7, (-2) & NEG1, (-3) & NEG1),
    ("div", (-7) & NEG1, (-2) & NEG1, 3), ("div", 5, 0, NEG1), ("div", INT_MIN, NEG1, INT_MIN),
    ("div", 0, 0, NEG1),
    ("divu", 7, 2, 3), ("divu", NEG1, 2, 0x7FFFFFFF), ("divu", 5, 0, NEG1), ("divu", INT_MIN, NEG1, 0),
    ("rem", 7, 2, 1), ("rem", (-7) & NEG1, 2, NEG1), ("rem", 7, (-2) & NEG1, 1),
    ("rem", (-7) & NEG1, (-2) & NEG1, NEG1), ("rem", 5, 0, 5), ("rem", INT_MIN, NEG1, 0),
    ("rem", (-5) & NEG1, 0, (-5) & NEG1),
    ("remu", 7, 2, 1), ("remu", NEG1, 10, 5), ("remu", 5, 0, 5), ("remu", INT_MIN, NEG1, INT_MIN),
])
def test_register_register_operation(name, a, b, expected):
    assert binop(name, a, b) == expected


@pytest.mark.parametrize("name,a,imm,expected", [
    ("addi", 1, -1, 0), ("addi", NEG1, 1, 0), ("addi", 0, -2048, 0xFFFFF800), ("addi", 0, 2047, 2047),
    ("slti", NEG1, 0, 1), ("slti", 0, -1, 0), ("slti", 5, 5, 0),
    ("sltiu", 0, -1, 1),          # the immediate is sign-extended, then compared unsigned
    ("sltiu", NEG1, -1, 0), ("sltiu", 4, 5, 1),
    ("xori", 0x0F, -1, 0xFFFFFFF0), ("ori", 0x100, 0x0F, 0x10F), ("andi", NEG1, 0x7F0, 0x7F0),
    ("andi", 0x12345678, -16, 0x12345670),
    ("slli", 1, 31, INT_MIN), ("slli", 0x12345678, 4, 0x23456780), ("slli", 7, 0, 7),
    ("srli", INT_MIN, 31, 1), ("srli", NEG1, 4, 0x0FFFFFFF),
    ("srai", INT_MIN, 31, NEG1), ("srai", 0x7FFFFFFF, 30, 1), ("srai", 0xF0000000, 4, 0xFF000000),
])
def test_register_immediate_operation(name, a, imm, expected):
    assert immop(name, a, imm) == expected


def test_lui_and_auipc():
    prog = Asm()
    prog.lui(5, 0xABCDE000)
    pc = prog.pc
    prog.auipc(6, 0x00001000)
    prog.auipc(7, 0xFFFFF000)      # negative offset wraps
    prog.exit(code=0)
    regs = run(prog).registers
    assert regs[5] == 0xABCDE000
    assert regs[6] == pc + 0x1000
    assert regs[7] == (pc + 4 - 0x1000) & NEG1


def test_x0_reads_zero_and_ignores_writes():
    prog = Asm()
    prog.li(5, 1234)
    prog.op("addi", 0, 5, 1)           # write to x0 is dropped
    prog.op("add", 6, 0, 0)
    prog.lui(0, 0x12345000)
    prog.op("addi", 7, 0, 0)
    prog.exit(code=0)
    regs = run(prog).registers
    assert regs[0] == 0 and regs[6] == 0 and regs[7] == 0


@pytest.mark.parametrize("name,a,b,taken", [
    ("beq", 5, 5, True), ("beq", 5, 6, False), ("bne", 5, 6, True), ("bne", 5, 5, False),
    ("blt", NEG1, 0, True), ("blt", 0, NEG1, False), ("blt", 3, 3, False),
    ("bge", 0, NEG1, True), ("bge", 3, 3, True), ("bge", NEG1, 0, False),
    ("bltu", 0, NEG1, True), ("bltu", NEG1, 0, False), ("bltu", 3, 3, False),
    ("bgeu", NEG1, 0, True), ("bgeu", 3, 3, True), ("bgeu", 0, NEG1, False),
])
def test_branch(name, a, b, taken):
    prog = Asm()
    prog.li(5, a)
    prog.li(6, b)
    prog.li(7, 0)
    prog.branch(name, 5, 6, 8)         # skip the next instruction if taken
    prog.li(7, 1)
    prog.exit(code=0)
    assert run(prog).registers[7] == (0 if taken else 1)


def test_backward_branch_loops():
    prog = Asm()
    prog.li(5, 10)
    prog.li(6, 0)
    prog.op("addi", 6, 6, 3)           # loop body
    prog.op("addi", 5, 5, -1)
    prog.branch("bne", 5, 0, -8)
    prog.exit(6)
    assert run(prog).exit_code == 30


def test_jal_links_and_jumps():
    prog = Asm()
    start = prog.pc
    prog.jal(1, 12)                    # jump over two instructions
    prog.li(5, 1)
    prog.li(5, 2)
    prog.exit(code=0)
    regs = run(prog).registers
    assert regs[1] == start + 4 and regs[5] == 0


def test_jalr_clears_bit_zero_and_links():
    prog = Asm()
    prog.li(5, TEXT_BASE + 4 * 5 + 1)  # odd target: bit 0 is cleared
    prog.jalr(1, 5, 0)                 # at index 2
    prog.li(6, 99)                     # skipped (index 3)
    prog.li(6, 98)                     # skipped (index 4)
    prog.exit(code=0)                  # index 5
    regs = run(prog).registers
    assert regs[1] == TEXT_BASE + 4 * 3 and regs[6] == 0


def test_jalr_with_rd_equal_rs1_uses_the_old_value():
    prog = Asm()
    prog.li(5, TEXT_BASE + 4 * 3 - 4)
    prog.jalr(5, 5, 4)                 # index 2: target computed before rd is written
    prog.exit(code=0)                  # index 3
    assert run(prog).registers[5] == TEXT_BASE + 4 * 3


def _memory_program(ops) -> Asm:
    prog = Asm()
    prog.data += bytes([0x81, 0x82, 0x83, 0x84, 0x05, 0x06, 0x07, 0x78]) + bytes(8)
    prog.li(8, DATA_BASE)
    for op in ops:
        op(prog)
    prog.exit(code=0)
    return prog


@pytest.mark.parametrize("name,offset,expected", [
    ("lw", 0, 0x84838281), ("lw", 4, 0x78070605),
    ("lb", 0, 0xFFFFFF81), ("lb", 4, 0x05), ("lb", 7, 0x78), ("lb", 3, 0xFFFFFF84),
    ("lbu", 0, 0x81), ("lbu", 3, 0x84), ("lbu", 6, 0x07),
    ("lh", 0, 0xFFFF8281), ("lh", 2, 0xFFFF8483), ("lh", 6, 0x7807),
    ("lhu", 0, 0x8281), ("lhu", 2, 0x8483), ("lhu", 4, 0x0605),
])
def test_load_extends_correctly(name, offset, expected):
    prog = _memory_program([lambda p: p.op(name, 9, 8, offset)])
    assert run(prog).registers[9] == expected


@pytest.mark.parametrize("name,offset,expected_words", [
    ("sw", 8, (0xDEADBEEF, 0)), ("sb", 9, (0x0000EF00, 0)), ("sb", 11, (0xEF000000, 0)),
    ("sh", 10, (0xBEEF0000, 0)), ("sh", 12, (0, 0x0000BEEF)),
])
def test_store_writes_inside_the_word(name, offset, expected_words):
    prog = _memory_program([
        lambda p: p.li(10, 0xDEADBEEF),
        lambda p: p.store(name, 10, 8, offset),
        lambda p: p.op("lw", 11, 8, 8),
        lambda p: p.op("lw", 12, 8, 12),
    ])
    regs = run(prog).registers
    assert (regs[11], regs[12]) == expected_words


def test_store_then_load_negative_offset():
    prog = _memory_program([
        lambda p: p.op("addi", 9, 8, 16),
        lambda p: p.li(10, 0xCAFEF00D),
        lambda p: p.store("sw", 10, 9, -4),
        lambda p: p.op("lw", 11, 8, 12),
    ])
    assert run(prog).registers[11] == 0xCAFEF00D


def test_fence_is_a_no_op():
    prog = Asm()
    prog.li(5, 7)
    prog.emit(0x0FF0000F)              # fence iorw, iorw
    prog.emit(0x0000100F)              # fence.i
    prog.exit(5)
    assert run(prog).exit_code == 7


@pytest.mark.parametrize("word,reason", [
    (0x00000000, "illegal instruction"),
    (0xFFFFFFFF, "illegal instruction"),
    (0x00100073, "ebreak"),
    (0x02000013 | (1 << 12), "illegal instruction"),     # slli with shamt[5] set (RV64 only)
    (0x00000053, "illegal instruction"),                 # fadd.s: no F extension
    (0x30200073, "illegal instruction"),                 # mret
    (0xC0001573, "illegal instruction"),                 # csrrw a0, cycle, x0: read-only
    (0x30002573, "illegal instruction"),                 # csrr a0, mstatus: no other CSRs
])
def test_fault_names_pc_instruction_and_reason(word, reason):
    prog = Asm()
    prog.li(5, 1)
    pc = prog.emit(word)
    prog.exit(code=0)
    with pytest.raises(GuestFault) as info:
        run(prog)
    fault = info.value
    assert fault.pc == pc and fault.insn == word and reason in fault.reason
    assert f"0x{pc:08x}" in str(fault)


@pytest.mark.parametrize("setup,reason", [
    (lambda p: (p.li(5, DATA_BASE + 1), p.op("lw", 6, 5, 0)), "misaligned load"),
    (lambda p: (p.li(5, DATA_BASE + 3), p.op("lh", 6, 5, 0)), "misaligned load"),
    (lambda p: (p.li(5, DATA_BASE + 2), p.store("sw", 6, 5, 0)), "misaligned store"),
    (lambda p: (p.li(5, DATA_BASE + 1), p.store("sh", 6, 5, 0)), "misaligned store"),
    (lambda p: (p.li(5, 0x0FFC), p.op("lw", 6, 5, 0)), "outside guest memory"),
    (lambda p: (p.li(5, 0x0C000000), p.op("lb", 6, 5, 0)), "outside guest memory"),
    (lambda p: (p.li(5, 0), p.store("sb", 6, 5, 0)), "outside guest memory"),
    (lambda p: (p.li(5, NEG1), p.store("sb", 6, 5, 0)), "outside guest memory"),
    (lambda p: (p.li(5, TEXT_BASE), p.store("sw", 6, 5, 0)), "executable segment"),
    (lambda p: (p.li(5, 0x0BFFFFF0), p.jalr(0, 5, 0)), "outside the program's executable"),
    (lambda p: (p.li(5, TEXT_BASE + 2), p.jalr(0, 5, 0)), "not a multiple of 4"),
])
def test_memory_and_control_faults(setup, reason):
    prog = Asm()
    prog.data += bytes(16)
    setup(prog)
    prog.exit(code=0)
    with pytest.raises(GuestFault, match=reason):
        run(prog)


def test_loads_may_read_code_but_stores_may_not():
    prog = Asm()
    prog.li(5, TEXT_BASE)
    prog.op("lw", 6, 5, 0)
    prog.exit(code=0)
    regs = run(prog).registers
    assert regs[6] == prog.words[0]


def test_registers_start_at_zero_with_sp_at_top_of_memory():
    prog = Asm()
    prog.exit(code=0)
    regs = run(prog).registers
    assert regs[2] == 0x0C000000
    assert all(regs[i] == 0 for i in range(32) if i not in (2, 10, 17))


@pytest.mark.parametrize("setup,detail", [
    (lambda p: (p.li(5, DATA_BASE + 1), p.op("lw", 6, 5, 0)),
     f"(lw x6, 0(x5), effective address 0x{DATA_BASE + 1:08x}; hint: compile with -mstrict-align)"),
    (lambda p: (p.li(5, DATA_BASE + 2), p.store("sw", 6, 5, 0)),
     f"(sw x6, 0(x5), effective address 0x{DATA_BASE + 2:08x}; hint: compile with -mstrict-align)"),
    (lambda p: (p.li(5, 0), p.store("sb", 6, 5, 0)), "(sb x6, 0(x5), effective address 0x00000000)"),
    (lambda p: p.emit(0xC002A573),        # csrrs a0, cycle, t0: the counter is read with x0
     ("csr instruction on cycle; hint: zkwb has no CSRs but the cycle counter, read only as "
      "csrrs rd, cycle|time|instret[h], x0")),
])
def test_fault_names_mnemonic_address_and_hint(setup, detail):
    prog = Asm()
    prog.data += bytes(16)
    setup(prog)
    prog.exit(code=0)
    with pytest.raises(GuestFault) as info:
        run(prog)
    assert detail in info.value.reason
