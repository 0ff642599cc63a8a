"""Disassembly around a pc: capstone's instructions, function names, branch targets."""
from __future__ import annotations

from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.vm.asm import TEXT_BASE, Asm
from workbench.model.disassembly import branch_target, disassemble_around, function_label


def test_disassembly_of_a_known_pc():
    asm = Asm()
    asm.op("addi", 5, 0, 42)          # 0x10000
    asm.op("mul", 6, 5, 5)            # 0x10004
    asm.jal(0, -8)                    # 0x10008: back to 0x10000
    asm.emit(0x00100073)              # 0x1000c: ebreak
    program = load_elf(asm.elf())
    lines = disassemble_around(program, TEXT_BASE + 4, before=1, after=2)
    assert [line.address for line in lines] == [0x10000, 0x10004, 0x10008, 0x1000C]
    assert (lines[0].mnemonic, lines[0].operands) == ("addi", "t0, zero, 0x2a")
    assert (lines[1].mnemonic, lines[1].operands) == ("mul", "t1, t0, t0")
    assert lines[2].target == 0x10000 and "→ 0x00010000" in lines[2].text()
    assert lines[3].mnemonic == "ebreak"


def test_disassembly_names_functions_and_branch_targets():
    program = load_elf(guest_path("sort"))
    main = next(s for s in program.symbols if s.name == "main")
    lines = disassemble_around(program, main.address + 8)
    at = {line.address: line for line in lines}
    assert at[main.address + 8].function == "main+0x8"
    assert at[main.address].function == "main"
    assert function_label(program.symbols, main.address + 4) == "main+0x4"
    # beq x0, x0, -16 at 0x100 lands at 0xf0; jal ra, +2048 at 0x100 lands at 0x900.
    assert branch_target(0x100, 0xFE0008E3) == 0xF0
    assert branch_target(0x100, 0x001000EF | (0x400 << 20) & 0x7FE00000) is not None
