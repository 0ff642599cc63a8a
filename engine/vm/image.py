"""The image ID: a SHA-256 commitment to everything that decides how a program runs.

    image_id = SHA-256( IMAGE_ID_TAG
                        ‖ u32 CIRCUIT_VERSION ‖ u32 entry_pc ‖ u32 heap_start
                        ‖ u32 n_code_ranges ‖ n × (u32 start, u32 end)
                        ‖ u32 n_words ‖ n × (u32 word_address, u32 value) )

All integers little-endian. The words are the initial memory: every word of a loadable
segment whose value is not zero (memory is zero-initialised, so zero words carry no
information), sorted by word address (byte address >> 2). ``heap_start`` is the initial program
break (the page-aligned end of the highest loadable segment): ``brk`` moves the break
within ``[heap_start, HEAP_LIMIT]``, so it decides what ``malloc`` hands out and is
part of how the program runs. The code ranges (byte
addresses, sorted, half-open) are the executable segments: they decide which words are
instructions (the program ROM) and which words stores may not touch, so two ELFs with
the same memory, entry and code ranges behave identically and share an image ID
(docs/design.md, "Image ID"; docs/guest-abi.md).
"""
from __future__ import annotations

import hashlib

import numpy as np

IMAGE_ID_TAG = b"zkwb/image-id/v2\x00"
# The version of the RV32IM machine AIR that proves these programs. A change to the
# circuit's semantics bumps it, so old image IDs never verify against a new circuit.
# 2: every syscall result is constrained (brk, read counts, -ENOSYS, -EBADF); the heap
# start is part of the image ID. 3: the segment AIR (continuations). 4: the program ROM
# is a main-trace region balanced against the image's public messages (the
# preprocessed columns no longer depend on the program). 5: the cycle counter (rdcycle,
# rdtime, rdinstret execute and are constrained; the first_cycle public value).
CIRCUIT_VERSION = 5


def image_id(entry: int, code_ranges: list[tuple[int, int]], heap_start: int,
             word_addresses: np.ndarray, word_values: np.ndarray) -> bytes:
    """Return the 32-byte image ID.

    ``word_addresses`` (uint32, strictly increasing) and ``word_values`` (uint32, none
    zero) have equal length; ``code_ranges`` are sorted, disjoint byte ranges.
    """
    h = hashlib.sha256()
    h.update(IMAGE_ID_TAG)
    h.update(np.array([CIRCUIT_VERSION, entry, heap_start, len(code_ranges)],
                      dtype="<u4").tobytes())
    h.update(np.asarray(code_ranges, dtype="<u4").reshape(-1).tobytes())
    h.update(np.array([len(word_addresses)], dtype="<u4").tobytes())
    pairs = np.empty((len(word_addresses), 2), dtype="<u4")
    pairs[:, 0] = word_addresses
    pairs[:, 1] = word_values
    h.update(pairs.tobytes())
    return h.digest()
