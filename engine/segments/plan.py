"""A run cut into segments: the plan (counting pass, final table) and its segments.

``plan_segments`` runs the guest once without recording and computes the global final
table; ``SegmentPlan.segments()`` then records the run window by window and gives
each window with its boundary table, in one pass whose memory does not grow with the
run's length (one window buffer and arrays indexed by word). Call it again for another
pass (the proof records every window twice, docs/continuations.md).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from engine.segments.boundary import BoundaryTable, BoundaryTableBuilder
from engine.segments.final import FinalTable, final_table
from engine.vm.executor import SegmentedRun, Window, execute_segments
from engine.vm.program import Program


def segment_rows(log_height: int, zk_rows: int) -> int:
    """Rows per segment for traces of ``2^log_height`` rows: its real rows,
    ``H − zk_rows``. Raises ``ValueError`` when that leaves no row."""
    rows = (1 << log_height) - zk_rows
    if rows < 1:
        raise ValueError(f"a trace of 2^{log_height} rows with {zk_rows} zero-knowledge rows "
                         "leaves no row for a segment")
    return rows


@dataclass(frozen=True, eq=False)
class Segment:
    """One window of the run and its boundary table (``boundary.index == window.index``)."""
    window: Window
    boundary: BoundaryTable


@dataclass(frozen=True, eq=False)
class SegmentPlan:
    """The counted run and its global final table."""
    run: SegmentedRun
    final: FinalTable

    @property
    def segment_count(self) -> int:
        return self.run.segment_count

    def segments(self, first: int = 0) -> Iterator[Segment]:
        """Record the run from segment ``first`` on, one segment at a time (each
        window's trace is valid until the next segment is produced). Raises what
        ``SegmentedRun.windows`` raises."""
        windows = self.run.windows(first)
        builder = BoundaryTableBuilder(self.run.program, self.run.rows_per_segment)
        return (Segment(window, builder.table(window)) for window in windows)


def plan_segments(program: Program, input_data: bytes, rows_per_segment: int,
                  max_cycles: int | None = None,
                  on_progress: Callable[[int], None] | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> SegmentPlan:
    """Count the run (``engine.vm.executor.execute_segments``, whose errors it raises)
    and compute its global final table."""
    run = execute_segments(program, input_data, rows_per_segment, max_cycles=max_cycles,
                           on_progress=on_progress, should_cancel=should_cancel)
    return SegmentPlan(run, final_table(run))
