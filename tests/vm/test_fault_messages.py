"""Fault messages of compiled guests: the function and the source line from the ELF's
symbol table and DWARF line table (addr2line-style), with the mnemonic, effective
address and hint of engine.vm.executor's memory and CSR faults."""
from __future__ import annotations

import subprocess

import pytest

from engine import load_elf
from engine.errors import GuestFault
from engine.vm.executor import execute
from tests.conftest import require_tool
from tests.vm.qemu import ASM_FLAGS, CROSS_GCC

SOURCE = """\
    .text
    .globl _start
    .type _start, @function
_start:
    li t0, {address}
    {faulting}
    li a0, 0
    li a7, 93
    ecall
    .size _start, .-_start
"""


def _build(tmp_path, faulting, address, debug):
    gcc = require_tool(CROSS_GCC)
    asm = tmp_path / "fault.S"
    asm.write_text(SOURCE.format(faulting=faulting, address=address))
    elf = tmp_path / "fault.elf"
    flags = [*ASM_FLAGS, "-g"] if debug else list(ASM_FLAGS)
    subprocess.run([gcc, *flags, "-o", str(elf), str(asm)], check=True, capture_output=True,
                   timeout=120)
    return load_elf(elf)


@pytest.mark.parametrize("faulting,address,expected", [
    ("lw t1, 2(t0)", "0x20001", ["misaligned load", "lw x6, 2(x5)", "effective address 0x00020003",
                                 "-mstrict-align"]),
    ("sh t1, 0(t0)", "0x20001", ["misaligned store", "sh x6, 0(x5)", "0x00020001",
                                 "-mstrict-align"]),
    ("lb t1, -4(t0)", "0x2", ["outside guest memory", "lb x6, -4(x5)", "0xfffffffe"]),
    # csrrs t1, cycle, t0: the counter read with a non-zero rs1 (it would set bits)
    (".word 0xc002a373", "0", ["illegal instruction", "csr instruction on cycle",
                              "no CSRs but the cycle counter", "csrrs rd, cycle"]),
    (".word 0x30002373", "0", ["illegal instruction", "csr 0x300"]),  # csrr t1, mstatus
])
def test_fault_names_instruction_function_and_line(tmp_path, faulting, address, expected):
    program = _build(tmp_path, faulting, address, debug=True)
    with pytest.raises(GuestFault) as info:
        execute(program, b"")
    reason = info.value.reason
    for part in expected:
        assert part in reason
    assert "in _start+0x" in reason
    if not faulting.startswith(".word"):   # data directives get no line row of their own
        assert "fault.S:6" in reason      # the faulting instruction's line of SOURCE


def test_without_debug_information_the_symbol_remains(tmp_path):
    program = _build(tmp_path, "lw t1, 0(t0)", "0x20002", debug=False)
    assert program.lines == ()
    with pytest.raises(GuestFault) as info:
        execute(program, b"")
    assert "in _start+0x" in info.value.reason and ".S:" not in info.value.reason
