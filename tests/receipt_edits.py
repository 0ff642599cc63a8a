"""Edits of a receipt that keep it well formed, for tests that forge a claim and want
the verifier (not the decoder) to reject it."""
from __future__ import annotations

import dataclasses

from engine.receipt import Receipt


def with_journal(receipt: Receipt, journal: bytes) -> Receipt:
    """``receipt`` claiming ``journal``; the segments' journal ends are moved to fit
    (none past the new journal, the last at its end), so the receipt still decodes."""
    ends = [min(s.journal_end, len(journal)) for s in receipt.segments[:-1]] + [len(journal)]
    segments = tuple(dataclasses.replace(s, journal_end=end)
                     for s, end in zip(receipt.segments, ends))
    return dataclasses.replace(receipt, journal=journal, segments=segments)


def with_segment(receipt: Receipt, index: int, **changes) -> Receipt:
    """``receipt`` with segment ``index``'s fields changed (``log_trace_height``,
    ``journal_end``, ``seal``)."""
    segments = list(receipt.segments)
    segments[index] = dataclasses.replace(segments[index], **changes)
    return dataclasses.replace(receipt, segments=tuple(segments))
