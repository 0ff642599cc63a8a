"""What fits in a trace: the machine AIR's row budget, checked before anything is built.

Every region lives in the real rows (``H - zk_rows``) of a segment's trace
(``docs/circuit.md``, "Shape"): the program ROM has a row per word of
``[code_base, code_end)`` in every segment, the final memory (spread over the
segments) a row per register and per initial word (every code word, every other
non-zero word), and the journal is written at most one word per copy row. A verifier uses these bounds to refuse a receipt whose program or
journal could not have been proven at its claimed height before it allocates anything
of that height. This module imports nothing heavy, so the facade can use it cheaply.
"""
from __future__ import annotations

import numpy as np

#: The registers x0..x31: memory words 0..31 and the first rows of the final memory.
N_REGISTERS = 32
#: Journal bytes one copy row writes at most (one word).
JOURNAL_BYTES_PER_ROW = 4
#: The cycle counter's width (``engine.circuit.cpu``): the segments of one proof hold at
#: most ``2^COUNTER_BITS`` rows in all (a verifier refuses more), so every counter value
#: is below p. The executor's longest run (``MAX_RUN_ROWS``) fits with a segment to spare.
COUNTER_BITS = 29


def max_journal_bytes(real_rows: int) -> int:
    """The longest journal a run with ``real_rows`` real rows can write."""
    return JOURNAL_BYTES_PER_ROW * real_rows


def image_fits(code_ranges, word_addresses, real_rows: int,
               memory_rows: int | None = None) -> str | None:
    """Why a program with these code ranges (sorted byte ranges) and non-zero initial
    words (word addresses) cannot be proven in segments whose traces have at least
    ``real_rows`` real rows (the program ROM is in each) and ``memory_rows`` real rows
    in all (the final memory is spread over them; default ``real_rows``, one segment),
    or None if it can. Costs O(words), never O(code span)."""
    memory_rows = real_rows if memory_rows is None else memory_rows
    ranges = list(code_ranges)
    if not ranges:
        return "it has no code"
    rom_words = (((ranges[-1][1] + 3) & ~3) - ranges[0][0]) // 4
    if rom_words > real_rows:
        return (f"its code spans {rom_words:,} words, and the program ROM has only "
                f"{real_rows:,} rows")
    n_words = len(word_addresses)
    if N_REGISTERS + n_words > memory_rows:
        return (f"its {n_words:,} initial words and {N_REGISTERS} registers do not fit "
                f"in the final memory's {memory_rows:,} rows")
    starts = np.array([lo >> 2 for lo, _ in ranges], dtype=np.int64)
    ends = np.array([(hi + 3) >> 2 for _, hi in ranges], dtype=np.int64)
    addresses = np.asarray(word_addresses, dtype=np.int64)
    which = np.searchsorted(starts, addresses, side="right") - 1
    in_code = (which >= 0) & (addresses < ends[np.maximum(which, 0)])
    total = N_REGISTERS + int((ends - starts).sum()) + int((~in_code).sum())
    if total > memory_rows:
        return (f"its initial memory has {total:,} words (registers, code and data), and "
                f"the final memory has only {memory_rows:,} rows")
    return None
