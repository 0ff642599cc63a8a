"""The program image a receipt may carry: exactly what the image ID commits to."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.vm.image import image_id as compute_image_id


@dataclass(frozen=True)
class ProgramImage:
    """What a verifier needs of a program: entry, code ranges, heap start, initial
    memory words.

    Exactly the data the image ID commits to (``engine/vm/image.py``).
    """
    entry: int
    code_ranges: tuple[tuple[int, int], ...]
    heap_start: int                  # the initial program break
    word_addresses: np.ndarray       # uint32, strictly increasing word addresses
    word_values: np.ndarray          # uint32, none zero

    @classmethod
    def from_program(cls, program) -> ProgramImage:
        return cls(program.entry, tuple(program.code_ranges), program.heap_start,
                   program.word_addresses, program.word_values)

    def image_id(self) -> bytes:
        return compute_image_id(self.entry, list(self.code_ranges), self.heap_start,
                                self.word_addresses, self.word_values)

    def __eq__(self, other) -> bool:
        return (isinstance(other, ProgramImage) and self.entry == other.entry
                and self.code_ranges == other.code_ranges
                and self.heap_start == other.heap_start
                and np.array_equal(self.word_addresses, other.word_addresses)
                and np.array_equal(self.word_values, other.word_values))

    __hash__ = None
