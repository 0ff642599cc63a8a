"""Progress events and the cancel token: plain frozen data, prompt and thread-safe cancel."""
from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from engine.errors import Cancelled, ZkwbError
from engine.events import (
    CancelToken,
    Committed,
    FriLayers,
    PhaseFinished,
    PhaseStarted,
    Progress,
    QueryChecked,
    QueryPositions,
    Reporter,
    SegmentFinished,
    SegmentsPlanned,
    SegmentStarted,
    SegmentVerified,
    TraceReady,
)
from tests.receipt_edits import with_journal
from tests.rejection import assert_rejected
from tests.segments.support import reground


def test_events_are_frozen_dataclasses():
    events = [PhaseStarted("commit main"), PhaseFinished("commit main", 0.5),
              Progress("quotient", 0.25), TraceReady(("a",), np.zeros((1, 4), np.uint32)),
              Committed("main", bytes(32)), FriLayers((64, 16, 4)),
              QueryPositions(np.arange(3), 64), QueryChecked(0, 5, True),
              SegmentsPlanned(3, 1 << 20, 2_500_000), SegmentStarted(1, 3, 1_048_000, 1_048_000),
              SegmentFinished(1, 3, 12.5), SegmentVerified(2, 3, False)]
    for event in events:
        assert dataclasses.is_dataclass(event)
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.phase = "x"
    assert SegmentStarted(0, 1, 0, 10) == SegmentStarted(0, 1, 0, 10)


def test_cancel_token_starts_clear_and_stays_cancelled():
    token = CancelToken()
    assert not token.cancelled
    token.raise_if_cancelled()
    token.cancel()
    token.cancel()
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()
    assert issubclass(Cancelled, ZkwbError)


def test_cancel_from_another_thread_is_seen():
    token = CancelToken()
    thread = threading.Thread(target=token.cancel)
    thread.start()
    thread.join()
    assert token.cancelled


def test_reporter_emits_phases_in_order_with_timings():
    seen = []
    reporter = Reporter(seen.append)
    with reporter.phase("one"):
        reporter.progress("one", 0.5)
        reporter.progress("one", 7)
    assert [type(e) for e in seen] == [PhaseStarted, Progress, Progress, PhaseFinished]
    assert seen[1].fraction == 0.5 and seen[2].fraction == 1.0
    assert seen[-1].phase == "one" and seen[-1].seconds >= 0


def test_reporter_checks_the_token_at_every_event():
    token = CancelToken()
    seen = []
    reporter = Reporter(seen.append, token)
    reporter.progress("work", 0.1)
    token.cancel()
    with pytest.raises(Cancelled):
        reporter.progress("work", 0.2)
    with pytest.raises(Cancelled), reporter.phase("later"):
        pass  # pragma: no cover - the phase never starts
    assert len(seen) == 3


def test_reporter_without_callback_or_token_is_silent():
    """The calls that emit three events to a callback run through without one, and
    without a token nothing is cancelled."""
    events = []
    for reporter, ran in ((Reporter(events.append), []), (Reporter(), [])):
        with reporter.phase("quiet"):
            reporter.progress("quiet", 1.0)
            reporter.check_cancel()
            ran.append(True)
        assert ran == [True]
    assert [type(e) for e in events] == [PhaseStarted, Progress, PhaseFinished]


def test_reporter_refuses_bad_arguments():
    with pytest.raises(TypeError):
        Reporter(on_event=42)
    with pytest.raises(TypeError):
        Reporter(cancel=threading.Event())


SEGMENT_EVENTS = (SegmentsPlanned, SegmentStarted, SegmentFinished, SegmentVerified)


def test_a_one_segment_proof_plans_starts_and_finishes_its_segment_around_the_stark():
    """Execution comes before the plan, phase one (stage 0) and the segment's witness
    between the plan and its start; every phase of the STARK lies between
    SegmentStarted and SegmentFinished; the verifier names the segment once its seal
    is checked, after its last query."""
    import engine
    from engine.runtime.resources import guest_path
    program = engine.load_elf(guest_path("fibonacci"))
    seen = []
    result = engine.prove(program, b"10", on_event=seen.append)
    kinds = [type(e) for e in seen]
    assert [e for e in seen if isinstance(e, SEGMENT_EVENTS)] == [
        SegmentsPlanned(1, result.trace_rows - result.receipt.params.zk_rows,
                        result.execution.cycles),
        SegmentStarted(0, 1, 0, result.execution.cycles),
        SegmentFinished(0, 1, seen[kinds.index(SegmentFinished)].seconds)]
    planned, started, finished = (kinds.index(k) for k in SEGMENT_EVENTS[:3])
    assert planned < started < finished
    before = [e.phase for e in seen[:planned] if isinstance(e, PhaseStarted)]
    between = [e.phase for e in seen[planned:started] if isinstance(e, PhaseStarted)]
    inside = [e.phase for e in seen[started:finished] if isinstance(e, PhaseStarted)]
    after = [e.phase for e in seen[finished:] if isinstance(e, PhaseStarted)]
    assert before == ["execute"] and between == ["stage0", "global challenges", "witness"]
    # the receipt is verified last, and its verification reports nothing else
    assert after == ["verify receipt"] and kinds[-1] is PhaseFinished
    assert {"commit main", "quotient", "fri"} <= set(inside)
    assert TraceReady in kinds[started:finished] and QueryPositions in kinds[started:finished]
    assert 0 < seen[finished].seconds <= result.seconds

    checked = []
    verdict = engine.verify(result.receipt, on_event=checked.append)
    assert verdict.valid
    assert [e for e in checked if isinstance(e, SEGMENT_EVENTS)] == [SegmentVerified(0, 1, True)]
    last_query = max(i for i, e in enumerate(checked) if isinstance(e, QueryChecked))
    assert isinstance(checked[-1], SegmentVerified) and last_query < len(checked) - 1


def test_a_seal_that_fails_its_check_is_a_rejected_segment():
    import engine
    from engine.runtime.resources import guest_path
    program = engine.load_elf(guest_path("fibonacci"))
    receipt = engine.prove(program, b"10").receipt
    # ground again for the edited claim, as a forger would: the global proof of work
    # passes, and the seal is what is rejected
    forged = reground(with_journal(receipt, receipt.journal + b"!"))
    checked = []
    verdict = engine.verify(forged, on_event=checked.append)
    # The journal is bound into the seal's transcript: its first check that depends on
    # a challenge fails.
    assert_rejected(verdict, "the LogUp proof of work is invalid")
    assert [e for e in checked if isinstance(e, SEGMENT_EVENTS)] == [SegmentVerified(0, 1, False)]
