"""Where a proof runs (workbench.model.cluster) and the segments of a proof on several
workers (workbench.model.segments), headless."""
from __future__ import annotations

import pytest

from engine.events import SegmentFinished, SegmentsPlanned, SegmentStarted
from workbench.model.cluster import MAX_LOCAL_WORKERS, ProveTarget, parse_target
from workbench.model.segments import PROVEN, PROVING, SegmentProgress


@pytest.mark.parametrize("text,target", [
    ("", ProveTarget()), ("  this process ", ProveTarget()), ("This Process", ProveTarget()),
    ("2", ProveTarget(workers=2)), ("2 local workers", ProveTarget(workers=2)),
    ("1 worker", ProveTarget(workers=1)), ("3 Local Workers", ProveTarget(workers=3)),
    ("tcp://10.0.0.5:8786", ProveTarget(cluster="tcp://10.0.0.5:8786")),
    ("tls://sched.example.org:8786", ProveTarget(cluster="tls://sched.example.org:8786")),
    ("127.0.0.1:8786", ProveTarget(cluster="tcp://127.0.0.1:8786")),
])
def test_the_field_names_a_target(text, target):
    assert parse_target(text) == target
    assert parse_target(target.text()) == target          # what the field shows reads back


@pytest.mark.parametrize("text,named", [
    ("0", "1 to"), (str(MAX_LOCAL_WORKERS + 1), "1 to"), ("my laptop", "not a place"),
    ("tcp://host", "not a place"), ("http://host/x:1", "not a place"), ("2 cats", "not a place"),
])
def test_a_text_that_names_no_target_is_refused_with_a_sentence(text, named):
    with pytest.raises(ValueError, match=named):
        parse_target(text)


def test_a_target_gives_the_engine_its_arguments_and_says_where():
    assert ProveTarget().engine_arguments() == {}
    assert ProveTarget(workers=2).engine_arguments() == {"workers": 2}
    assert ProveTarget(cluster="tcp://h:1").engine_arguments() == {"cluster": "tcp://h:1"}
    assert ProveTarget().describe() == "in this process"
    assert "2 local workers" in ProveTarget(workers=2).describe()
    assert "tcp://h:1" in ProveTarget(cluster="tcp://h:1").describe()


def test_segments_on_workers_name_them_and_share_the_time_left():
    progress = SegmentProgress()
    progress.feed(SegmentsPlanned(4, 1000, 4000), 0.0)
    progress.feed(SegmentStarted(0, 4, 0, 1000, worker="tcp://127.0.0.1:1"), 0.0)
    progress.feed(SegmentStarted(1, 4, 1000, 1000, worker="tcp://127.0.0.1:2"), 0.0)
    assert progress.states()[:2] == [PROVING, PROVING]
    assert "on worker tcp://127.0.0.1:2" in progress.describe(1)
    assert progress.summary().startswith("Proving 2 segments on 2 workers")
    progress.feed(SegmentFinished(0, 4, 10.0, worker="tcp://127.0.0.1:1"), 10.0)
    progress.feed(SegmentStarted(2, 4, 2000, 1000, worker="tcp://127.0.0.1:1"), 10.0)
    assert progress.workers() == ["tcp://127.0.0.1:1", "tcp://127.0.0.1:2"]
    # 100 cycles/s: 3,000 cycles left on two workers at once is about 15 s, not 30.
    left = progress.seconds_left(10.0)
    assert left is not None and 10.0 <= left <= 15.0
    for k in (1, 2, 3):
        progress.feed(SegmentStarted(k, 4, 1000 * k, 1000, worker="w"), 11.0)
        progress.feed(SegmentFinished(k, 4, 10.0), 20.0)
    assert progress.states() == [PROVEN] * 4 and progress.finished


def test_segments_in_this_process_read_as_before():
    progress = SegmentProgress()
    progress.feed(SegmentsPlanned(2, 1000, 2000), 0.0)
    progress.feed(SegmentStarted(0, 2, 0, 1000), 0.0)
    assert progress.workers() == []
    assert progress.summary().startswith("Proving segment 1 of 2")
    assert "worker" not in progress.describe(0)
