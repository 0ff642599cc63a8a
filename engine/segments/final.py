"""The global final table: every word of a run's memory once, with where it ended.

One row per word the run accessed or the image defines (the 32 registers, every code
word, every other non-zero word: ``engine.circuit.image.MachineImage.initial_words``),
sorted by address:

    addr         the word address (registers 0..31, RAM ``byte_address >> 2``)
    kind         KIND_RAM, KIND_CODE or KIND_REG (``engine.segments.boundary.word_kinds``)
    final_value  its value when the run exits
    t_final      1 + the index of the last window that accessed it; 0 if none did
    zinit        1 if the image does not define it (it starts at 0)

In the proof each row receives what the last window left (or the initial value, tag
0) and, for a ``zinit`` word, sends the zero it starts from (docs/continuations.md).
It comes from the counting pass (``SegmentedRun.touched_*``), before any window is
recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.circuit.image import MachineImage
from engine.segments.boundary import window_tags, word_kinds
from engine.vm.executor import SegmentedRun


@dataclass(frozen=True, eq=False)
class FinalTable:
    """The global final table; ``addr`` strictly increasing. ``kind`` and ``zinit`` are
    uint8, the other columns uint32, all of one length."""
    addr: np.ndarray
    kind: np.ndarray
    final_value: np.ndarray
    t_final: np.ndarray
    zinit: np.ndarray

    def __len__(self) -> int:
        return self.addr.shape[0]


def final_table(run: SegmentedRun) -> FinalTable:
    """The global final table of ``run`` for its ``rows_per_segment``."""
    return final_table_of(MachineImage.from_program(run.program), run.touched_words,
                          run.touched_values,
                          window_tags(run.touched_last_ts, run.rows_per_segment))


def final_table_of(image: MachineImage, touched_words, touched_values,
                   touched_tags) -> FinalTable:
    """The final table of a run of ``image``'s program that accessed ``touched_words``
    (sorted word addresses), leaving ``touched_values``, last in the windows
    ``touched_tags`` (1 + the window's index)."""
    image_addr, image_value, _ = image.initial_words()
    touched = np.asarray(touched_words, dtype=np.int64)
    addr = np.union1d(image_addr, touched)
    value = np.zeros(addr.shape, dtype=np.int64)
    value[np.searchsorted(addr, image_addr)] = image_value
    at = np.searchsorted(addr, touched)
    value[at] = touched_values
    t_final = np.zeros(addr.shape, dtype=np.int64)
    t_final[at] = touched_tags
    return FinalTable(
        addr=addr.astype(np.uint32),
        kind=word_kinds(image.code_ranges, addr),
        final_value=value.astype(np.uint32),
        t_final=t_final.astype(np.uint32),
        zinit=(~np.isin(addr, image_addr)).astype(np.uint8),
    )
