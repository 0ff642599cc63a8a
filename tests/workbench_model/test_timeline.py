"""The phase timeline's model: one span per phase in the order they ran, each as long as
the engine measured it; a proof in segments as one span per segment holding its phases;
reset by the next task (no Qt)."""
from __future__ import annotations

import pytest

from engine.events import (PhaseFinished, PhaseStarted, Progress, SegmentFinished,
                           SegmentStarted)
from tests.workbench_model.segment_events import proof_events
from workbench.model.timeline import FINISHED, RUNNING, SEGMENTS, STOPPED, PhaseTimeline

ONE_SEGMENT_PROOF = [("execute", 0.2), ("stage0", 0.3), ("witness", 0.0), ("check", 1.0),
                     ("preprocessed", 0.1), ("commit main", 1.3), ("logup", 1.1),
                     ("quotient", 2.5), ("open", 0.5), ("fri", 0.2), ("verify receipt", 0.1)]


def feed_phases(timeline: PhaseTimeline, phases, start: float = 50.0) -> float:
    """Each phase started and finished in turn, from ``start``; returns the end."""
    now = start
    for phase, seconds in phases:
        timeline.feed(PhaseStarted(phase), now)
        timeline.feed(Progress(phase, 0.5), now + seconds / 2)
        now += seconds
        timeline.feed(PhaseFinished(phase, seconds), now)
    return now


def test_each_phase_is_a_span_as_long_as_the_engine_measured_it():
    timeline = PhaseTimeline()
    end = feed_phases(timeline, ONE_SEGMENT_PROOF)
    assert timeline.phases() == [p for p, _ in ONE_SEGMENT_PROOF]
    assert [s.seconds for s in timeline.spans] == [s for _, s in ONE_SEGMENT_PROOF]
    assert all(s.state == FINISHED for s in timeline.spans)
    starts = [s.start for s in timeline.spans]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert timeline.extent(end) == pytest.approx(sum(s for _, s in ONE_SEGMENT_PROOF))
    quotient = timeline.spans[7]
    assert timeline.bar_text(quotient, end) == "Quotient 2.5 s"
    assert timeline.describe(quotient, end).startswith(
        "Evaluating the constraints (quotient) · took 2.5 s\nfrom 4.0 s to 6.5 s")


def test_a_running_phase_grows_with_the_clock():
    timeline = PhaseTimeline()
    feed_phases(timeline, ONE_SEGMENT_PROOF[:2], start=10.0)
    # arriving in the same turn of the event loop as the last phase's end, a little
    # before the end the engine measured: it starts where that one ended
    timeline.feed(PhaseStarted("commit main"), 10.45)
    span = timeline.running
    assert span is not None and span.phase == "commit main" and span.state == RUNNING
    assert span.start == pytest.approx(0.5)     # where the last phase ended
    assert span.length(timeline.elapsed(11.0)) == pytest.approx(0.5)
    assert span.length(timeline.elapsed(12.5)) == pytest.approx(2.0)
    assert "running, 2.0 s so far" in timeline.describe(span, 12.5)


def test_a_phase_that_reports_no_end_ends_where_the_next_starts_or_the_task_ends():
    """The workbench's own phases (execute in an execution, analyse, save) report only
    their start."""
    timeline = PhaseTimeline()
    timeline.feed(PhaseStarted("execute"), 0.0)
    timeline.feed(PhaseStarted("analyse"), 0.4)
    timeline.finish(0.5)
    assert timeline.phases() == ["execute", "analyse"]
    assert [s.seconds for s in timeline.spans] == pytest.approx([0.4, 0.1])
    assert all(s.state == FINISHED for s in timeline.spans)


def test_a_cancel_stops_the_running_phase_where_it_was():
    timeline = PhaseTimeline()
    feed_phases(timeline, ONE_SEGMENT_PROOF[:3], start=0.0)
    timeline.feed(PhaseStarted("check"), 0.5)
    timeline.stop(0.9)
    last = timeline.spans[-1]
    assert last.state == STOPPED and last.seconds == pytest.approx(0.4)
    assert "stopped after 400 ms" in timeline.describe(last, 5.0)
    assert timeline.running is None


def test_a_proof_in_segments_has_a_span_per_segment_holding_its_phases():
    timeline = PhaseTimeline()
    for event, now in proof_events(37, 37_000_000, seconds_each=10.0, start=100.0):
        timeline.feed(event, now)
    timeline.feed(PhaseStarted("verify receipt"), 470.0)
    timeline.feed(PhaseFinished("verify receipt", 1.5), 471.5)
    phases = timeline.phases()
    assert phases == ["execute"] + [SEGMENTS] * 37 + ["verify receipt"]
    segments = timeline.spans[1:-1]
    assert [s.segments for s in segments] == [[i] for i in range(37)]
    assert all(s.seconds == 10.0 and s.state == FINISHED for s in segments)
    assert [c.phase for c in segments[3].children] == ["commit main", "quotient", "fri"]
    assert timeline.bar_text(segments[3], 471.5) == "Segment 4 10.0 s"
    tooltip = timeline.describe(segments[3], 471.5)
    assert tooltip.startswith("Segment 4 of 37 · took 10.0 s")
    assert "  Committing the trace: 3.3 s" in tooltip and "  FRI: folding" in tooltip
    assert timeline.spans[-1].seconds == 1.5


def test_segments_proved_at_once_on_a_cluster_share_one_span():
    timeline = PhaseTimeline()
    timeline.feed(PhaseStarted("execute"), 0.0)
    timeline.feed(PhaseFinished("execute", 1.0), 1.0)
    for index in range(4):
        timeline.feed(SegmentStarted(index, 4, index * 100, 100, f"tcp://w{index % 2}"), 1.0)
    for index in (1, 0, 3):
        timeline.feed(SegmentFinished(index, 4, 5.0, f"tcp://w{index % 2}"), 6.0)
    group = timeline.spans[-1]
    assert group.state == RUNNING and timeline.short_label(group) == "Segments 1–4"
    timeline.feed(SegmentFinished(2, 4, 7.0, "tcp://w0"), 9.0)
    assert group.state == FINISHED and group.seconds == pytest.approx(8.0)
    assert "on tcp://w0, tcp://w1" in timeline.describe(group, 9.0)


def test_reset_forgets_the_last_task():
    timeline = PhaseTimeline()
    feed_phases(timeline, ONE_SEGMENT_PROOF)
    timeline.reset()
    assert timeline.spans == [] and timeline.running is None and timeline.extent(0.0) == 0.0
    feed_phases(timeline, [("read", 0.1)], start=900.0)
    assert timeline.phases() == ["read"] and timeline.spans[0].start == 0.0


def test_events_out_of_order_are_ignored_not_raised():
    timeline = PhaseTimeline()
    assert not timeline.feed(PhaseFinished("fri", 1.0), 0.0)
    assert not timeline.feed(SegmentFinished(3, 5, 1.0), 0.1)
    assert timeline.spans == []
