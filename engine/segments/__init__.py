"""Continuations, the data side: a run cut into windows of rows, each window's
boundary table, and the run's global final table (docs/executor.md, "Segments";
docs/continuations.md)."""
from engine.segments.boundary import (BoundaryTable, BoundaryTableBuilder, local_trace,
                                      window_tags, word_kinds)
from engine.segments.final import FinalTable, final_table
from engine.segments.plan import Segment, SegmentPlan, plan_segments, segment_rows

__all__ = ["BoundaryTable", "BoundaryTableBuilder", "FinalTable", "Segment", "SegmentPlan",
           "final_table", "local_trace", "plan_segments", "segment_rows", "window_tags",
           "word_kinds"]
