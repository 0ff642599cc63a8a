"""A long proof as segments: states, the current segment, the time left and the words,
from synthetic event sequences (tests/workbench_model/segment_events.py)."""
from __future__ import annotations

import pytest

from engine.events import PhaseStarted, SegmentFinished, SegmentStarted, SegmentVerified
from workbench.model.segments import (ESTIMATING, PENDING, PROVEN, PROVING, REJECTED, STOPPED,
                                      VERIFIED, SegmentProgress, describe_estimate)
from tests.workbench_model.segment_events import proof_events, verify_events


def fed(events, model: SegmentProgress | None = None) -> SegmentProgress:
    model = model or SegmentProgress()
    for event, now in events:
        model.feed(event, now)
    return model


def test_before_any_plan_there_is_nothing_to_show():
    model = SegmentProgress()
    assert not model.planned and not model.several
    assert model.states() == [] and model.current is None
    assert model.summary() == "" and model.eta_text(0.0) == "" and model.label() == ""
    assert model.feed(PhaseStarted("execute"), 0.0) is False


def test_one_segment_is_proving_then_proven_and_needs_no_estimate():
    events = list(proof_events(1, 31_658, seconds_each=2.5))
    model = fed(events[:3])
    assert model.planned and not model.several
    assert model.states() == [PROVING] and model.current == 0
    assert model.label() == "segment 1 of 1"
    assert model.eta_text(101.0) == ""          # the phase bar says enough for one
    fed(events[3:], model)
    assert model.states() == [PROVEN] and model.current is None and model.finished
    assert model.cycles_proven == 31_658
    assert model.summary() == "1 segment proven: 31,658 cycles in 2.5 s (12.7 kHz)"


def test_37_segments_go_pending_proving_proven_in_order():
    model = SegmentProgress()
    seen_states = set()
    for event, now in proof_events(37, 37_000_000):
        changed = model.feed(event, now)
        assert changed == (type(event).__name__.startswith("Segment"))
        if isinstance(event, SegmentStarted):
            assert model.current == event.index
            assert model.states() == [PROVEN] * event.index + [PROVING] + \
                [PENDING] * (36 - event.index)
            seen_states.add(model.states()[event.index])
    assert model.finished and model.current is None and model.states() == [PROVEN] * 37
    assert model.summary() == "37 segments proven: 37,000,000 cycles in 6:10 (100.0 kHz)"
    assert model.eta_text(1000.0) == ""


def test_the_time_left_is_estimating_until_a_segment_finishes_then_goes_by_its_rate():
    events = list(proof_events(37, 37_000_000, seconds_each=10.0, start=100.0))
    finished_first = next(i for i, (e, _) in enumerate(events) if isinstance(e, SegmentFinished))
    model = fed(events[:finished_first])
    assert model.current == 0 and model.rate() is None
    assert model.seconds_left(105.0) is None and model.eta_text(105.0) == ESTIMATING
    fed(events[finished_first:finished_first + 2], model)     # segment 1 starts at 110
    assert model.current == 1 and model.rate() == 100_000
    assert model.seconds_left(110.0) == 360.0
    assert model.eta_text(110.0) == "about 6 min 00 s left"
    assert model.seconds_left(114.0) == 356.0                 # the current one, partly done
    # A segment slower than the estimate counts as nearly done, never as negative time.
    assert model.seconds_left(130.0) == 350.0
    assert model.summary() == ("Proving segment 2 of 37 · 1 of 37 segments proven "
                               "(1,000,000 of 37,000,000 cycles)")


def test_segments_not_started_share_the_cycles_no_started_segment_holds():
    # 36 full segments of 1,000 cycles and a last one of 500.
    events = list(proof_events(37, 36_500, seconds_each=10.0, start=0.0,
                               sizes=[1000] * 36 + [500]))
    second = [i for i, (e, _) in enumerate(events) if isinstance(e, SegmentStarted)][1]
    model = fed(events[:second + 1])
    assert model.rate() == 100.0
    assert model.seconds_left(10.0) == pytest.approx(355.0)
    last = [i for i, (e, _) in enumerate(events) if isinstance(e, SegmentStarted)][-1]
    fed(events[second + 1:last + 1], model)
    assert model.segments[-1].cycles == 500 and model.seconds_left(360.0) == pytest.approx(5.0)
    assert model.eta_text(364.6) == "about a second left"


def test_a_cancel_midway_stops_the_segment_being_proved_and_keeps_the_proven_ones():
    model = fed(proof_events(37, 37_000_000, stop_after=12))
    assert model.current == 12 and model.eta_text(230.0).startswith("about ")
    model.stop(cancelled=True)
    assert model.states() == [PROVEN] * 12 + [STOPPED] + [PENDING] * 24
    assert model.current is None and model.outcome == "cancelled"
    assert model.eta_text(230.0) == "" and model.seconds_left(230.0) is None
    assert model.summary() == ("Cancelled during segment 13 of 37 · 12 of 37 proven "
                               "(12,000,000 of 37,000,000 cycles)")
    failed = fed(proof_events(37, 37_000_000, stop_after=0))
    failed.stop(cancelled=False)
    assert failed.summary() == "Failed during segment 1 of 37 · 0 of 37 proven (0 of " \
                               "37,000,000 cycles)"


def test_stopping_a_finished_or_unplanned_task_changes_nothing():
    model = fed(proof_events(3, 3_000))
    model.stop()
    assert model.outcome == "" and model.states() == [PROVEN] * 3
    empty = SegmentProgress()
    empty.stop()
    assert empty.outcome == "" and empty.summary() == ""


def test_a_verification_with_one_rejected_segment_names_it():
    model = fed(verify_events(37, rejected=frozenset({4})))
    assert model.verifying and model.several
    assert model.states() == [VERIFIED] * 4 + [REJECTED] + [VERIFIED] * 32
    assert model.summary() == "Segment 5 of 37 rejected · 36 verified"
    assert model.eta_text(600.0) == "" and model.finished
    stopped = fed(verify_events(37, rejected=frozenset({4}), stop_at_rejection=True))
    assert stopped.states() == [VERIFIED] * 4 + [REJECTED] + [PENDING] * 32
    assert stopped.current == 5
    assert stopped.summary() == "Segment 5 of 37 rejected · 4 verified, 32 not checked"
    assert stopped.describe(6) == "Segment 7 of 37 · not checked yet"
    several = fed(verify_events(5, rejected=frozenset({1, 3})))
    assert several.summary() == "2 of 5 segments rejected · 3 verified"


def test_a_verification_counts_the_segments_checked_so_far():
    events = list(verify_events(37))
    model = fed(events[:3 * 10])
    assert model.states() == [VERIFIED] * 10 + [PENDING] * 27 and model.current == 10
    assert model.summary() == "Verifying: 10 of 37 segments verified"
    fed(events[3 * 10:], model)
    assert model.summary() == "All 37 segments verified" and model.current is None
    assert fed(verify_events(1)).summary() == "The segment is verified"


def test_verifying_after_proving_starts_every_segment_over_as_pending():
    model = fed(proof_events(3, 3_000))
    model.feed(SegmentVerified(0, 3, True), 0.0)
    assert model.states() == [VERIFIED, PENDING, PENDING]


def test_each_segment_describes_its_state_cycles_and_time():
    model = fed(proof_events(37, 37_000_000, stop_after=3))
    assert model.describe(2) == ("Segment 3 of 37 · proven · cycles 2,000,000–2,999,999 "
                                 "(1,000,000) · proved in 10.0 s")
    assert model.describe(3) == ("Segment 4 of 37 · being proved · cycles "
                                 "3,000,000–3,999,999 (1,000,000)")
    assert model.describe(30) == "Segment 31 of 37 · not proved yet"
    assert model.label() == "segment 4 of 37" and model.label(0) == "segment 1 of 37"


def test_events_for_segments_that_do_not_exist_are_ignored():
    model = fed(proof_events(3, 3_000, stop_after=1))
    before = model.states()
    assert model.feed(SegmentFinished(3, 3, 1.0), 0.0) is False
    assert model.feed(SegmentStarted(-1, 3, 0, 10), 0.0) is False
    assert model.states() == before


def test_a_count_unlike_the_plan_replans():
    model = fed(proof_events(3, 3_000, stop_after=1))
    model.feed(SegmentStarted(0, 5, 0, 600), 0.0)
    assert model.count == 5 and model.states() == [PROVING] + [PENDING] * 4


def test_estimates_read_as_a_person_says_them():
    assert describe_estimate(0.4) == "a second"
    assert describe_estimate(12.4) == "12 s"
    assert describe_estimate(200) == "3 min 20 s"
    assert describe_estimate(3900) == "1 h 05 min"
