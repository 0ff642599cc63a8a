"""Synthetic event sequences of a proof in segments, as the engine will emit them
(engine/events.py, "Segments"), shared by the headless model tests and the window's.

The engine proves one segment today; these stand in for the long runs it cannot make
yet. Each item is ``(event, now)``: the event and the clock reading it arrives at.
"""
from __future__ import annotations

import numpy as np

from engine.events import (Committed, FriLayers, PhaseFinished, PhaseStarted, Progress,
                           QueryChecked, QueryPositions, SegmentFinished, SegmentsPlanned,
                           SegmentStarted, SegmentVerified, TraceReady)

ROWS = 1 << 10


def segment_cycles(cycles: int, count: int) -> list[int]:
    """Each segment's cycles: full ones, the remainder last."""
    per = -(-cycles // count)
    return [min(per, cycles - i * per) for i in range(count)]


def segment_trace(index: int, rows: int = ROWS) -> TraceReady:
    """A small committed trace whose pc column says which segment it is."""
    columns = np.zeros((2, rows), dtype=np.uint32)
    columns[0] = 0x1000 + 4 * (np.arange(rows) + index * rows)
    columns[1] = index
    columns.flags.writeable = False
    return TraceReady(("cpu.pc", "segment"), columns)


def segment_proof(index: int, count: int, first: int, cycles: int, seconds: float,
                  start: float, with_trace: bool = True):
    """One segment's events from ``SegmentStarted`` to ``SegmentFinished``, over
    ``seconds`` from ``start``."""
    yield SegmentStarted(index, count, first, cycles), start
    phases = ("commit main", "quotient", "fri")
    step = seconds / (2 * len(phases))
    now = start
    if with_trace:
        yield segment_trace(index), now
    for phase in phases:
        yield PhaseStarted(phase), now
        now += step
        yield Progress(phase, 0.5), now
        if phase == "commit main":
            yield Committed("main", bytes([index % 256]) * 32), now
        if phase == "fri":
            yield FriLayers((4 * ROWS, ROWS, ROWS // 4)), now
            yield QueryPositions(np.arange(index, index + 8) % (4 * ROWS), 4 * ROWS), now
        now += step
        yield PhaseFinished(phase, 2 * step), now
    yield SegmentFinished(index, count, seconds), start + seconds


def proof_events(count: int, cycles: int, seconds_each: float = 10.0, start: float = 100.0,
                 stop_after: int | None = None, progress_in_last: bool = True,
                 sizes: list[int] | None = None):
    """A proof of ``cycles`` cycles in ``count`` segments, each ``seconds_each`` long
    (``sizes``: each segment's cycles, else an even split with the remainder last).

    With ``stop_after``, only segments ``0 .. stop_after - 1`` finish; segment
    ``stop_after`` starts and gets as far as a Progress event of its first phase (where
    a cancel would land)."""
    yield PhaseStarted("execute"), start
    yield SegmentsPlanned(count, ROWS, cycles), start
    first, now = 0, start
    for index, n in enumerate(sizes or segment_cycles(cycles, count)):
        if stop_after is not None and index == stop_after:
            yield SegmentStarted(index, count, first, n), now
            yield segment_trace(index), now
            yield PhaseStarted("commit main"), now
            if progress_in_last:
                yield Progress("commit main", 0.3), now + 1.0
            return
        yield from segment_proof(index, count, first, n, seconds_each, now)
        first += n
        now += seconds_each


def verify_events(count: int, rejected: frozenset[int] = frozenset(), stop_at_rejection=False,
                  start: float = 500.0):
    """A verification of ``count`` segments, one query each; ``rejected`` fail theirs.
    With ``stop_at_rejection`` the verifier stops at the first rejected one."""
    now = start
    for index in range(count):
        yield QueryPositions(np.array([index]), 4 * ROWS), now
        valid = index not in rejected
        yield QueryChecked(0, index, valid), now
        now += 0.01
        yield SegmentVerified(index, count, valid), now
        if not valid and stop_at_rejection:
            return
