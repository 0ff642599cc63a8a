"""A task's phases on a time line, as they run (no Qt).

``PhaseTimeline`` is fed every event of a task, in order, with the time it arrived
(``feed(event, now)``; ``now`` is any monotonic clock in seconds, so tests pass their
own), as ``workbench.model.segments.SegmentProgress`` is, and is reset when the next
task starts. It keeps one ``Span`` per phase, in the order they ran: where it starts
(seconds since the task's first event), how long it took (the engine's own measure,
``PhaseFinished.seconds``; a running phase's length grows with ``now``) and whether it
is running, finished or stopped (the task was cancelled or failed while it ran).

A proof in several segments would give a span per phase per segment (seven for each
of 37 segments): there, each segment is one span whose phases are its ``children``,
so the strip has one bar per segment, each divided into its phases' colours, and the
phases before and after the segments (execute, stage0, witness, verify receipt) keep
bars of their own. Segments proved at once on a cluster (their events carry no phases)
share one span, from the first one's start until none is being proved.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import (PhaseFinished, PhaseStarted, SegmentFinished, SegmentsPlanned,
                           SegmentStarted)
from workbench.model.formatting import describe_seconds
from workbench.model.phases import phase_label, phase_short_label

RUNNING, FINISHED, STOPPED = "running", "finished", "stopped"
#: The span of a group of segments, in ``Span.phase``.
SEGMENTS = "segments"


@dataclass
class Span:
    """One bar: ``phase`` (an engine phase name, or ``SEGMENTS``), ``start`` (seconds
    since the task's first event), ``seconds`` (None while running), ``state``
    (``RUNNING``, ``FINISHED`` or ``STOPPED``); a segment span's ``segments`` (the
    0-based indices it covers, of ``count``), its phases in ``children`` and the
    Dask ``worker`` named by its events (None in this process)."""
    phase: str
    start: float
    seconds: float | None = None
    state: str = RUNNING
    segments: list[int] = field(default_factory=list)
    count: int = 0
    children: list[Span] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)
    _running_segments: set[int] = field(default_factory=set, repr=False)

    @property
    def is_segment(self) -> bool:
        return self.phase == SEGMENTS

    def length(self, elapsed: float) -> float:
        """The span's seconds (a running one's: up to ``elapsed``, the task's time)."""
        if self.seconds is not None:
            return self.seconds
        return max(0.0, elapsed - self.start)

    def end(self, elapsed: float) -> float:
        return self.start + self.length(elapsed)


class PhaseTimeline:
    """The spans of the running (or last) task, from its events."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new task: no spans; its clock starts at its first event."""
        self.spans: list[Span] = []
        self.count = 0
        self._origin: float | None = None
        self._segment: Span | None = None
        self._stopped_at: float | None = None

    # -- events -----------------------------------------------------------------
    def feed(self, event, now: float) -> bool:
        """Take one event (any; phases and segments matter) that arrived at ``now``.
        Returns whether the spans changed. Never raises on an event out of order (a
        finish without its start is ignored)."""
        if self._origin is None:
            self._origin = now
        at = now - self._origin
        if isinstance(event, SegmentsPlanned):
            self.count = int(event.count)
            return False
        if isinstance(event, SegmentStarted):
            return self._segment_started(event, at)
        if isinstance(event, SegmentFinished):
            return self._segment_finished(event, at)
        if isinstance(event, PhaseStarted):
            siblings = self._segment.children if self._segment is not None else self.spans
            _end_running(siblings, at)
            start = max([at] + [s.end(at) for s in siblings[-1:]])
            siblings.append(Span(event.phase, start))
            return True
        if isinstance(event, PhaseFinished):
            for siblings in ((self._segment.children if self._segment else []), self.spans):
                span = next((s for s in reversed(siblings)
                             if s.phase == event.phase and s.state == RUNNING), None)
                if span is not None:
                    span.seconds, span.state = max(float(event.seconds), 0.0), FINISHED
                    return True
        return False

    def _segment_started(self, event: SegmentStarted, at: float) -> bool:
        if event.count <= 1:
            return False          # one segment: its phases are the task's own
        self.count = int(event.count)
        span = self._segment
        if span is None:
            _end_running(self.spans, at)
            span = Span(SEGMENTS, at, count=int(event.count))
            self.spans.append(span)
            self._segment = span
        if event.index not in span.segments:
            span.segments.append(int(event.index))
        worker = getattr(event, "worker", None)
        if worker and worker not in span.workers:
            span.workers.append(worker)
        span._running_segments.add(int(event.index))
        return True

    def _segment_finished(self, event: SegmentFinished, at: float) -> bool:
        span = self._segment
        if span is None or event.index not in span._running_segments:
            return False
        span._running_segments.discard(event.index)
        if not span._running_segments:
            _end_running(span.children, at)
            one = len(span.segments) == 1 and not span.workers
            span.seconds = float(event.seconds) if one else max(at - span.start, 0.0)
            span.state = FINISHED
            self._segment = None
        return True

    def finish(self, now: float) -> None:
        """The task succeeded: a phase still open (the workbench's own phases, such as
        saving, report no end) ends at ``now``."""
        if self._origin is None:
            return
        at = now - self._origin
        for span in self.spans:
            _end_running(span.children, at)
        _end_running(self.spans, at)
        self._segment = None

    def stop(self, now: float) -> None:
        """The task ended before its phases did (cancelled or failed): what runs stops
        at ``now``."""
        if self._origin is None:
            return
        at = now - self._origin
        self._stopped_at = at
        for span in self.spans:
            for item in (*span.children, span):
                if item.state == RUNNING:
                    item.seconds, item.state = max(at - item.start, 0.0), STOPPED
        self._segment = None

    # -- what is known ------------------------------------------------------------
    def elapsed(self, now: float) -> float:
        """Seconds since the task's first event (0 before it)."""
        return 0.0 if self._origin is None else max(now - self._origin, 0.0)

    def extent(self, now: float) -> float:
        """Where the last span ends (the running one's end being ``now``)."""
        elapsed = self.elapsed(now)
        return max([s.end(elapsed) for s in self.spans] + [0.0])

    @property
    def running(self) -> Span | None:
        """The top-level span now running (None when none is)."""
        return next((s for s in reversed(self.spans) if s.state == RUNNING), None)

    def phases(self) -> list[str]:
        """The phases of the top-level spans, in order (``SEGMENTS`` for a group)."""
        return [s.phase for s in self.spans]

    # -- words ----------------------------------------------------------------------
    def segment_words(self, span: Span) -> str:
        """``"Segment 3"``, ``"Segments 1–4"`` (numbered from 1)."""
        numbers = sorted(i + 1 for i in span.segments)
        if len(numbers) == 1:
            return f"Segment {numbers[0]}"
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"Segments {numbers[0]}–{numbers[-1]}"
        return f"{len(numbers)} segments"

    def short_label(self, span: Span) -> str:
        """What a bar is called in the strip: ``"Commit trace"``, ``"Segment 3"``."""
        return self.segment_words(span) if span.is_segment else phase_short_label(span.phase)

    def bar_text(self, span: Span, now: float) -> str:
        """The bar's label: its name and seconds (``"Quotient 2.5 s"``)."""
        return f"{self.short_label(span)} {_seconds(span.length(self.elapsed(now)))}"

    def describe(self, span: Span, now: float) -> str:
        """A bar's tooltip: the phase in a person's words, when it ran and for how long,
        and a segment's phases."""
        elapsed = self.elapsed(now)
        length = span.length(elapsed)
        state = {RUNNING: "running", FINISHED: "took", STOPPED: "stopped after"}[span.state]
        if span.is_segment:
            name = self.segment_words(span) + f" of {span.count}"
            if span.workers:
                name += " on " + ", ".join(span.workers)
        else:
            name = phase_label(span.phase)
        lines = [f"{name} · {state} {_seconds(length)}"
                 if span.state != RUNNING else f"{name} · running, {_seconds(length)} so far",
                 (f"from {_seconds(span.start)} to {_seconds(span.start + length)} into "
                  "the task")]
        for child in span.children:
            lines.append(f"  {phase_label(child.phase)}: {_seconds(child.length(elapsed))}"
                         + ("" if child.state == FINISHED else f" ({child.state})"))
        return "\n".join(lines)


def _end_running(spans: list[Span], at: float) -> None:
    """Phases follow one another: one still open when the next starts (a phase that
    reports no end) ended there."""
    for span in spans:
        if span.state == RUNNING:
            span.seconds, span.state = max(at - span.start, 0.0), FINISHED


def _seconds(seconds: float) -> str:
    """``"0 s"``, ``"40 ms"``, ``"2.5 s"``, ``"2:05"``."""
    return describe_seconds(seconds) if seconds > 0 else "0 s"
