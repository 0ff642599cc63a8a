"""A loaded guest program: its memory image, decoded code, symbols and image ID."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LoadSegment:
    """One loadable segment of the ELF (a ``PT_LOAD`` program header; not a segment of a
    run). ``vaddr``/``memsz`` in bytes; ``flags`` are ELF p_flags."""
    vaddr: int
    memsz: int
    filesz: int
    flags: int

    @property
    def end(self) -> int:
        return self.vaddr + self.memsz

    @property
    def executable(self) -> bool:
        return bool(self.flags & 0x1)

    @property
    def writable(self) -> bool:
        return bool(self.flags & 0x2)

    def describe(self) -> str:
        perms = ("r" if self.flags & 0x4 else "-") + ("w" if self.writable else "-") \
            + ("x" if self.executable else "-")
        return f"0x{self.vaddr:08x}-0x{self.end:08x} {perms} ({self.memsz} bytes)"


@dataclass(frozen=True)
class Symbol:
    """A function symbol from the ELF's symbol table (byte address, size in bytes)."""
    name: str
    address: int
    size: int


@dataclass(frozen=True)
class Program:
    """A validated RV32IM guest, ready to run.

    ``word_addresses``/``word_values`` (uint32) list the non-zero initial memory words,
    sorted by word address. ``code`` is the decoded program ROM covering
    ``[code_base, code_base + 4·len(code))`` (int64, shape (n, 5), see
    ``engine.vm.decode``); ``code_words`` holds the raw instruction words.
    """
    entry: int
    load_segments: tuple[LoadSegment, ...]
    code_ranges: tuple[tuple[int, int], ...]
    code_base: int
    code_words: np.ndarray
    code: np.ndarray
    word_addresses: np.ndarray
    word_values: np.ndarray
    heap_start: int
    image_id: bytes
    symbols: tuple[Symbol, ...] = field(default=())
    #: DWARF line rows (address, file, line), sorted by address, line 0 where a sequence
    #: ends (no source there); empty without -g.
    lines: tuple[tuple[int, str, int], ...] = field(default=(), repr=False)
    file_size: int = 0
    name: str = "<memory>"

    @property
    def image_id_hex(self) -> str:
        return self.image_id.hex()

    def line_at(self, address: int) -> tuple[str, int] | None:
        """The source file and line of ``address`` from the DWARF line table (the last row
        at or below it, as addr2line does), if the ELF has one."""
        i = bisect.bisect_right(self.lines, (address, "\U0010ffff", 1 << 62)) - 1
        if i < 0 or self.lines[i][2] == 0:
            return None
        return self.lines[i][1], self.lines[i][2]

    def symbol_at(self, address: int) -> Symbol | None:
        """The function symbol containing ``address``, if any."""
        best = None
        for sym in self.symbols:
            if sym.address <= address < sym.address + max(sym.size, 1) \
                    and (best is None or sym.address > best.address):
                best = sym
        return best
