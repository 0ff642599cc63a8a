"""Disassembly of a guest's code around a pc, with capstone (RISC-V 32) and ELF symbols.

Capstone prints branch and jump offsets relative to the instruction; each line also
carries the absolute target and the function it lands in, which is what a reader
looks for. Words capstone does not know (not RV32IM) are shown as ``.word``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

INSTRUCTION_BYTES = 4


@dataclass(frozen=True)
class Line:
    """One disassembled instruction. ``target`` is the absolute branch/jump target."""
    address: int
    word: int
    mnemonic: str
    operands: str
    function: str          # "name+0x10", or "" outside every function
    target: int | None = None
    target_function: str = ""

    def text(self) -> str:
        asm = f"{self.mnemonic:<8}{self.operands}"
        if self.target is not None:
            asm = f"{asm:<28}→ 0x{self.target:08x}"
            if self.target_function:
                asm += f" <{self.target_function}>"
        return f"0x{self.address:08x}  {self.word:08x}  {asm}"


def disassemble_around(program, pc: int, before: int = 16, after: int = 32) -> list[Line]:
    """Up to ``before`` instructions before ``pc``, the one at ``pc``, and ``after`` more.

    ``program`` is an ``engine.vm.Program``; only its code ROM is read
    (``code_base``, ``code_words``). A pc outside the code gives the nearest window
    inside it; an empty list only for a program without code.
    """
    words = np.asarray(program.code_words, dtype=np.uint32)
    if words.size == 0:
        return []
    index = (int(pc) - int(program.code_base)) // INSTRUCTION_BYTES
    index = min(max(index, 0), words.size - 1)
    first = max(index - before, 0)
    last = min(index + after + 1, words.size)
    return disassemble(program, first, last)


def disassemble(program, first: int, last: int) -> list[Line]:
    """Lines for code words ``first`` (inclusive) to ``last`` (exclusive)."""
    words = np.asarray(program.code_words, dtype=np.uint32)[first:last]
    base = int(program.code_base) + first * INSTRUCTION_BYTES
    names = _SymbolNames(program.symbols)
    md = _capstone()
    lines = []
    for offset, word in enumerate(words.tolist()):
        address = base + offset * INSTRUCTION_BYTES
        decoded = next(md.disasm(int(word).to_bytes(4, "little"), address), None)
        mnemonic, operands = (decoded.mnemonic, decoded.op_str) if decoded is not None \
            else (".word", f"0x{word:08x}")
        target = branch_target(address, word)
        lines.append(Line(address, word, mnemonic, operands, names.label(address), target,
                          names.label(target) if target is not None else ""))
    return lines


def branch_target(address: int, word: int) -> int | None:
    """The absolute target of a branch or ``jal`` at ``address``; None for anything else."""
    opcode = word & 0x7F
    if opcode == 0x6F:  # jal: imm[20|10:1|11|19:12]
        imm = (((word >> 31) & 1) << 20) | (((word >> 12) & 0xFF) << 12) \
            | (((word >> 20) & 1) << 11) | (((word >> 21) & 0x3FF) << 1)
        return (address + _sign_extend(imm, 21)) & 0xFFFFFFFF
    if opcode == 0x63 and ((word >> 12) & 7) not in (2, 3):  # branches: imm[12|10:5|4:1|11]
        imm = (((word >> 31) & 1) << 12) | (((word >> 7) & 1) << 11) \
            | (((word >> 25) & 0x3F) << 5) | (((word >> 8) & 0xF) << 1)
        return (address + _sign_extend(imm, 13)) & 0xFFFFFFFF
    return None


def function_label(symbols, address: int) -> str:
    """``"name+0x10"`` for the innermost function containing ``address``, else ``""``."""
    return _SymbolNames(symbols).label(address)


def _sign_extend(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


class _SymbolNames:
    """Innermost-function lookup over a small symbol table (aliases: plainest name)."""

    def __init__(self, symbols):
        ordered = sorted(symbols, key=lambda s: (s.address, -s.size, s.name.startswith("_"),
                                                  len(s.name)))
        self._symbols = ordered

    def label(self, address: int | None) -> str:
        if address is None:
            return ""
        best = None
        for sym in self._symbols:
            if sym.address > address:
                break
            if address < sym.address + max(sym.size, 1) and \
                    (best is None or sym.address > best.address):
                best = sym
        if best is None:
            return ""
        offset = address - best.address
        return best.name if offset == 0 else f"{best.name}+0x{offset:x}"


@lru_cache(maxsize=1)
def _capstone():
    import capstone
    return capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV32)
