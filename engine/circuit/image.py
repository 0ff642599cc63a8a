"""The public program image: what the verifier knows about the program it checks.

A :class:`MachineImage` is the canonical data behind an image ID (entry pc, executable
ranges, the non-zero initial words; ``engine.vm.image``). Everything the machine AIR
derives from the program is computed from it alone, so the verifier, holding an
image it checked against the expected image ID, recomputes the same things the
prover used:

* the program ROM (preprocessed columns, :mod:`engine.circuit.program`): the decoded
  instruction at every word of ``[code_base, code_end)``;
* the initial memory (public messages on the memory bus, :func:`image_messages`):
  ``(addr, 0, lo, hi, kind)`` for the 32 registers (``sp = 0x0C00_0000``, the others
  0), every word of an executable range (kind ``CODE``, read-only, zero words
  included) and every other non-zero word (kind ``RAM``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.circuit.memory import KIND_CODE, KIND_RAM, KIND_REG, MEMORY_BUS
from engine.stark.logup_trace import PublicMessages
from engine.vm.decode import Op, decode
from engine.vm.image import image_id
from engine.vm.memory_map import INITIAL_SP

N_REGISTERS = 32


@dataclass(frozen=True, eq=False)
class MachineImage:
    """The public image of a program.

    ``entry``: the first pc. ``code_ranges``: sorted, disjoint executable byte ranges
    ``(start, end)``, starts 4-aligned. ``word_addresses`` (uint32, strictly
    increasing word addresses) and ``word_values`` (uint32, none zero): the initial
    memory. Derived: ``code_base``, ``code_words`` (uint32, the words of
    ``[code_base, code_end)``), ``code`` (their decoding, ``engine.vm.decode``, with
    words outside the executable ranges marked ``Op.NOT_CODE``).
    """

    entry: int
    code_ranges: tuple[tuple[int, int], ...]
    word_addresses: np.ndarray
    word_values: np.ndarray
    code_base: int
    code_words: np.ndarray
    code: np.ndarray

    @classmethod
    def from_words(cls, entry: int, code_ranges, word_addresses, word_values) -> MachineImage:
        """Build the image from its canonical data (what a receipt carries)."""
        code_ranges = tuple((int(lo), int(hi)) for lo, hi in code_ranges)
        addresses = np.asarray(word_addresses, dtype=np.uint32)
        values = np.asarray(word_values, dtype=np.uint32)
        code_base = code_ranges[0][0]
        code_end = (code_ranges[-1][1] + 3) & ~3
        code_words = np.zeros((code_end - code_base) // 4, dtype=np.uint32)
        in_rom = (addresses >= code_base // 4) & (addresses < code_end // 4)
        code_words[addresses[in_rom] - code_base // 4] = values[in_rom]
        is_code = np.zeros(len(code_words), dtype=bool)
        for lo, hi in code_ranges:
            is_code[(lo - code_base) // 4:(hi - code_base + 3) // 4] = True
        code = decode(code_words)
        code[~is_code, :] = 0
        code[~is_code, 0] = int(Op.NOT_CODE)
        return cls(int(entry), code_ranges, addresses, values, code_base, code_words, code)

    @classmethod
    def from_program(cls, program) -> MachineImage:
        """The image of a loaded ``engine.vm.Program``."""
        return cls.from_words(program.entry, program.code_ranges, program.word_addresses,
                              program.word_values)

    @property
    def image_id(self) -> bytes:
        return image_id(self.entry, list(self.code_ranges), self.word_addresses,
                        self.word_values)

    def code_word_addresses(self) -> np.ndarray:
        """Word addresses of every word that holds a byte of an executable range
        (sorted, int64): the read-only memory."""
        parts = [np.arange(lo >> 2, (hi + 3) >> 2, dtype=np.int64) for lo, hi in self.code_ranges]
        return np.unique(np.concatenate(parts))

    def initial_words(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The initial memory as sorted ``(addresses, values, kinds)`` (int64): the
        registers, every code word and every other non-zero word."""
        regs = np.arange(N_REGISTERS, dtype=np.int64)
        reg_values = np.zeros(N_REGISTERS, dtype=np.int64)
        reg_values[2] = INITIAL_SP
        code = self.code_word_addresses()
        addresses = self.word_addresses.astype(np.int64)
        values = self.word_values.astype(np.int64)
        code_values = np.zeros(len(code), dtype=np.int64)
        pos = np.searchsorted(addresses, code)
        found = (pos < len(addresses)) & (addresses[np.minimum(pos, len(addresses) - 1)] == code)
        code_values[found] = values[pos[found]]
        is_data = ~np.isin(addresses, code)
        all_addr = np.concatenate([regs, code, addresses[is_data]])
        all_val = np.concatenate([reg_values, code_values, values[is_data]])
        all_kind = np.concatenate([np.full(N_REGISTERS, KIND_REG), np.full(len(code), KIND_CODE),
                                   np.full(int(is_data.sum()), KIND_RAM)]).astype(np.int64)
        order = np.argsort(all_addr, kind="stable")
        return all_addr[order], all_val[order], all_kind[order]


def image_messages(image: MachineImage) -> PublicMessages:
    """The verifier's sends on the memory bus: ``(addr, 0, lo, hi, kind)`` once for
    every initial word."""
    addr, value, kind = image.initial_words()
    rows = np.stack([addr, np.zeros_like(addr), value & 0xFFFF, value >> 16, kind], axis=1)
    return PublicMessages.sends(MEMORY_BUS, rows)
