"""The public program image: what the verifier knows about the program it checks.

A :class:`MachineImage` is the canonical data behind an image ID (entry pc, executable
ranges, the non-zero initial words; ``engine.vm.image``). Everything the machine AIR
derives from the program is computed from it alone, so the verifier, holding an
image it checked against the expected image ID, recomputes the same things the
prover used:

* the program ROM's rows (public messages on each segment's program-image bus,
  :func:`engine.circuit.program.program_image_messages`): the decoded instruction at
  every word of ``[code_base, code_end)``, which the ROM region of the trace must hold;
* the initial memory (public messages on the global words bus,
  :func:`image_messages`): ``(addr, kind, lo, hi, 0)`` for the 32 registers (``sp = 0x0C00_0000``, the others
  0), every word of an executable range (kind ``CODE``, read-only, zero words
  included) and every other non-zero word (kind ``RAM``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.circuit.capacity import N_REGISTERS
from engine.circuit.boundary import WORDS_BUS
from engine.circuit.memory import KIND_CODE, KIND_RAM, KIND_REG
from engine.stark.logup_trace import PublicMessages
from engine.vm.decode import Op, decode
from engine.vm.image import image_id
from engine.vm.memory_map import GUEST_MEMORY_END, GUEST_MEMORY_START, INITIAL_SP

# The ROM must fit in the largest trace (2^22 rows).
MAX_ROM_WORDS = 1 << 22


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
    heap_start: int
    word_addresses: np.ndarray
    word_values: np.ndarray
    code_base: int
    code_words: np.ndarray
    code: np.ndarray

    @classmethod
    def from_words(cls, entry: int, code_ranges, heap_start: int, word_addresses,
                   word_values) -> MachineImage:
        """Build the image from its canonical data (what a receipt carries).

        The data may come from anywhere: raises ``ValueError`` unless the code ranges
        are sorted, disjoint, 4-aligned at the start and inside guest memory, spanning
        at most ``MAX_ROM_WORDS`` words; ``entry`` is an aligned address inside one;
        ``heap_start`` lies in guest memory; and the words have strictly increasing addresses inside guest memory and
        non-zero 32-bit values.
        """
        code_ranges = _checked_ranges(code_ranges)
        entry = int(entry)
        if entry % 4 or not any(lo <= entry < hi for lo, hi in code_ranges):
            raise ValueError(f"entry 0x{entry:x} is not an aligned address inside the code")
        heap_start = int(heap_start)
        if not GUEST_MEMORY_START <= heap_start <= GUEST_MEMORY_END:
            raise ValueError(f"heap start 0x{heap_start:x} is outside guest memory")
        addresses, values = _checked_words(word_addresses, word_values)
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
        return cls(int(entry), code_ranges, heap_start, addresses, values, code_base,
                   code_words, code)

    @classmethod
    def from_program(cls, program) -> MachineImage:
        """The image of a loaded ``engine.vm.Program``."""
        return cls.from_words(program.entry, program.code_ranges, program.heap_start,
                              program.word_addresses, program.word_values)

    @property
    def image_id(self) -> bytes:
        return image_id(self.entry, list(self.code_ranges), self.heap_start,
                        self.word_addresses, self.word_values)

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


def _checked_ranges(code_ranges) -> tuple[tuple[int, int], ...]:
    ranges = tuple((int(lo), int(hi)) for lo, hi in code_ranges)
    if not ranges:
        raise ValueError("the image has no executable range")
    previous_end = GUEST_MEMORY_START
    for lo, hi in ranges:
        if lo % 4 or not previous_end <= lo < hi <= GUEST_MEMORY_END:
            raise ValueError(f"executable range [0x{lo:x}, 0x{hi:x}) is not an aligned, sorted "
                             "range inside guest memory")
        previous_end = hi
    if (ranges[-1][1] - ranges[0][0] + 3) // 4 > MAX_ROM_WORDS:
        raise ValueError("the executable ranges span more words than a trace can hold")
    return ranges


def _checked_words(word_addresses, word_values) -> tuple[np.ndarray, np.ndarray]:
    addresses = np.asarray(word_addresses)
    values = np.asarray(word_values)
    if addresses.ndim != 1 or addresses.shape != values.shape:
        raise ValueError("the image needs one value per word address")
    if addresses.size and (addresses.dtype.kind not in "ui" or values.dtype.kind not in "ui"):
        raise ValueError("word addresses and values must be integers")
    addresses = addresses.astype(np.int64)
    values = values.astype(np.int64)
    if addresses.size:
        if addresses[0] < GUEST_MEMORY_START // 4 or addresses[-1] >= GUEST_MEMORY_END // 4:
            raise ValueError("an image word lies outside guest memory")
        if (np.diff(addresses) <= 0).any():
            raise ValueError("image word addresses must be strictly increasing")
        if (values <= 0).any() or (values > 0xFFFFFFFF).any():
            raise ValueError("image word values must be non-zero 32-bit values")
    return addresses.astype(np.uint32), values.astype(np.uint32)


def image_messages(image: MachineImage) -> PublicMessages:
    """The verifier's sends on the global words bus, once per run: ``(addr, kind, lo,
    hi, 0)`` for every initial word (tag 0: the value before any segment)."""
    addr, value, kind = image.initial_words()
    rows = np.stack([addr, kind, value & 0xFFFF, value >> 16, np.zeros_like(addr)], axis=1)
    return PublicMessages.sends(WORDS_BUS, rows)
