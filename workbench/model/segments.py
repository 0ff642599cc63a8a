"""A long proof as segments: each one's state, the current one, the time left (no Qt).

A run too long for one trace is proved as segments, one STARK proof each, one after
another (docs/continuations.md); the engine names them with ``SegmentsPlanned``,
``SegmentStarted``, ``SegmentFinished`` and, when verifying, ``SegmentVerified``
(``engine.events``). ``SegmentProgress`` is fed every event of a task, in order, with
the time it arrived (``feed(event, now)``; ``now`` is any monotonic clock in seconds,
so tests pass their own) and says:

* each segment's state: ``PENDING`` → ``PROVING`` → ``PROVEN`` while proving,
  ``PENDING`` → ``VERIFIED`` or ``REJECTED`` while verifying, and ``STOPPED`` for
  the segment being proved when the task was cancelled or failed (``stop``);
* the current segment (being proved, or the next one to be verified);
* the time left (``seconds_left``, ``eta_text``): the cycles not yet proven at the
  rate the finished segments were proven at (cycles per second of their own proving
  time), less the time the current segment has already taken. Until a segment has
  finished there is no rate to go by, and the text says it is estimating;
* a line that sums it up (``summary``) and each segment's own (``describe``);
* on a Dask cluster (``engine.prove(..., cluster=...)``), which worker proves or
  proved each segment (``Segment.worker``; the events name it) and how many prove at
  once: segments then run in parallel, and the time left divides by the workers busy.

Segments are numbered from 0 in the events and from 1 in what a person reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.events import SegmentFinished, SegmentsPlanned, SegmentStarted, SegmentVerified
from workbench.model.formatting import describe_seconds

PENDING, PROVING, PROVEN, VERIFIED, REJECTED, STOPPED = (
    "pending", "proving", "proven", "verified", "rejected", "stopped")
STATES = (PENDING, PROVING, PROVEN, VERIFIED, REJECTED, STOPPED)
#: What each state means, for a legend or a tooltip.
STATE_WORDS = {PENDING: "not proved yet", PROVING: "being proved", PROVEN: "proven",
               VERIFIED: "verified", REJECTED: "rejected", STOPPED: "stopped (cancelled)"}
#: What a pending segment is while verifying.
UNCHECKED = "not checked yet"
ESTIMATING = "estimating time left…"


@dataclass
class Segment:
    """One segment: its ``state``, its cycles of the run (``first_cycle``, ``cycles``;
    None until the prover starts it), its proving time (``seconds``, once proven) and
    the Dask worker that proves it (``worker``; None in this process)."""
    index: int
    state: str = PENDING
    first_cycle: int | None = None
    cycles: int | None = None
    seconds: float | None = None
    worker: str | None = None


class SegmentProgress:
    """The segments of the running (or last) proof or verification, from its events."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new task: no plan, no segments."""
        self.count = 0
        self.rows_per_segment = 0
        self.cycles = 0
        self.segments: list[Segment] = []
        self.current: int | None = None
        self.verifying = False
        self.outcome = ""                 # "", "cancelled" or "failed" (see ``stop``)
        self._current_since: float | None = None

    # -- events -----------------------------------------------------------------
    def feed(self, event, now: float) -> bool:
        """Take one event (any; only the segment events matter) that arrived at ``now``.
        Returns whether the segments changed (False for a segment the plan does not
        have: the strip shows what it was told, never raises in the event loop)."""
        if isinstance(event, SegmentsPlanned):
            self.reset()
            self.cycles, self.rows_per_segment = int(event.cycles), int(event.rows_per_segment)
            self._plan(event.count)
        elif (not isinstance(event, (SegmentStarted, SegmentFinished, SegmentVerified))
              or not 0 <= event.index < event.count):
            return False
        elif isinstance(event, SegmentStarted):
            segment = self._segment(event.index, event.count)
            segment.state, segment.seconds = PROVING, None
            segment.first_cycle, segment.cycles = int(event.first_cycle), int(event.cycles)
            segment.worker = getattr(event, "worker", None)
            self.current, self._current_since = segment.index, now
        elif isinstance(event, SegmentFinished):
            segment = self._segment(event.index, event.count)
            segment.state, segment.seconds = PROVEN, float(event.seconds)
            segment.worker = getattr(event, "worker", None) or segment.worker
            if self.current == segment.index:
                self.current, self._current_since = None, None
        elif isinstance(event, SegmentVerified):
            if not self.verifying:
                self.verifying = True
                for segment in self.segments:
                    segment.state = PENDING
            segment = self._segment(event.index, event.count)
            segment.state = VERIFIED if event.valid else REJECTED
            following = segment.index + 1
            self.current = following if following < self.count else None
        return True

    def stop(self, cancelled: bool = True) -> None:
        """The task ended before its last segment: the one being proved is ``STOPPED``
        (``outcome`` says whether it was ``cancelled`` or ``failed``)."""
        if not self.count or self.finished:
            return
        self.outcome = "cancelled" if cancelled else "failed"
        for segment in self.segments:
            if segment.state == PROVING:
                segment.state = STOPPED
        self.current, self._current_since = None, None

    def _plan(self, count: int) -> None:
        count = max(int(count), 0)
        self.count = count
        self.segments = [Segment(i) for i in range(count)]

    def _segment(self, index: int, count: int) -> Segment:
        """Segment ``index``; a count unlike the plan's (or no plan, as when verifying)
        plans ``count`` segments."""
        if count != self.count:
            self._plan(count)
        return self.segments[index]

    # -- what is known ------------------------------------------------------------
    @property
    def planned(self) -> bool:
        return self.count > 0

    @property
    def several(self) -> bool:
        """Whether the run has more than one segment (what the strip is shown for)."""
        return self.count > 1

    def states(self) -> list[str]:
        return [segment.state for segment in self.segments]

    def counted(self, state: str) -> int:
        return sum(segment.state == state for segment in self.segments)

    @property
    def cycles_proven(self) -> int:
        return sum(s.cycles or 0 for s in self.segments if s.state == PROVEN)

    @property
    def finished(self) -> bool:
        """Every segment proven (proving) or checked (verifying)."""
        done = (VERIFIED, REJECTED) if self.verifying else (PROVEN,)
        return self.planned and all(s.state in done for s in self.segments)

    def rate(self) -> float | None:
        """Cycles per second of proving time of the segments proven so far (None before
        the first)."""
        proven = [s for s in self.segments if s.state == PROVEN and s.seconds]
        seconds = sum(s.seconds for s in proven)
        return sum(s.cycles or 0 for s in proven) / seconds if seconds > 0 else None

    def seconds_left(self, now: float) -> float | None:
        """Estimated proving time left at ``now``; None when there is no estimate (no
        segment proven yet, not proving, or done)."""
        rate = self.rate()
        if rate is None or self.verifying or self.outcome or self.finished:
            return None
        left = 0.0
        for segment in self.segments:
            if segment.state in (PENDING, PROVING):
                cycles = segment.cycles
                if cycles is None:
                    cycles = self._unstarted_cycles()
                left += cycles / rate
        if self.current is not None and self._current_since is not None:
            current = self.segments[self.current]
            spent = max(0.0, now - self._current_since)
            left -= min(spent, (current.cycles or 0) / rate)
        # On a cluster the segments being proved at once share out what is left.
        return max(left, 0.0) / max(self.counted(PROVING), 1)

    def _unstarted_cycles(self) -> float:
        """The cycles of a segment not started yet: an even share of what no started
        segment holds."""
        started = [s for s in self.segments if s.cycles is not None]
        rest = self.cycles - sum(s.cycles for s in started)
        unstarted = self.count - len(started)
        return max(rest, 0) / unstarted if unstarted else 0.0

    def eta_text(self, now: float) -> str:
        """The time left in words: ``"about 3 min 20 s left"``, ``ESTIMATING`` before a
        segment has finished, "" for a single segment, when verifying or when done."""
        if not self.several or self.verifying or self.outcome or self.finished:
            return ""
        seconds = self.seconds_left(now)
        if seconds is None:
            return ESTIMATING if self.current is not None else ""
        return f"about {describe_estimate(seconds)} left"

    # -- words ----------------------------------------------------------------------
    def label(self, index: int | None = None) -> str:
        """``"segment 4 of 37"`` (the current one by default; "" without segments)."""
        index = self.current if index is None else index
        if index is None or not self.planned:
            return ""
        return f"segment {index + 1} of {self.count}"

    def state_word(self, state: str) -> str:
        """What ``state`` means here (a pending segment is not proved yet when proving,
        not checked yet when verifying)."""
        return UNCHECKED if self.verifying and state == PENDING else STATE_WORDS[state]

    def describe(self, index: int) -> str:
        """One segment in a line: its number, state, cycles and proving time."""
        segment = self.segments[index]
        parts = [f"Segment {index + 1} of {self.count}", self.state_word(segment.state)]
        if segment.cycles is not None:
            last = segment.first_cycle + segment.cycles - 1
            parts.append(f"cycles {segment.first_cycle:,}–{last:,} ({segment.cycles:,})")
        if segment.seconds is not None:
            parts.append(f"proved in {describe_seconds(segment.seconds)}")
        if segment.worker:
            parts.append(f"on worker {segment.worker}")
        return " · ".join(parts)

    def workers(self) -> list[str]:
        """The Dask workers that prove or proved a segment, in order of first use
        (empty in this process)."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            if segment.worker:
                seen.setdefault(segment.worker, None)
        return list(seen)

    def summary(self) -> str:
        """What the segments say together: how many are done, of how many, how fast."""
        if not self.planned:
            return ""
        n = self.count
        noun = "segment" if n == 1 else "segments"
        if self.verifying:
            verified, rejected = self.counted(VERIFIED), self.counted(REJECTED)
            unchecked = n - verified - rejected
            if rejected:
                first = next(s.index for s in self.segments if s.state == REJECTED)
                text = (f"Segment {first + 1} of {n} rejected" if rejected == 1
                        else f"{rejected} of {n} segments rejected")
                return text + f" · {verified} verified" + (
                    f", {unchecked} not checked" if unchecked else "")
            if not unchecked:
                return f"All {n} {noun} verified" if n > 1 else "The segment is verified"
            return f"Verifying: {verified} of {n} {noun} verified"
        proven = self.counted(PROVEN)
        cycles = f"{self.cycles_proven:,} of {self.cycles:,} cycles"
        if self.outcome:
            stopped = next((s.index for s in self.segments if s.state == STOPPED), None)
            where = f" during segment {stopped + 1} of {n}" if stopped is not None else ""
            return f"{self.outcome.capitalize()}{where} · {proven} of {n} proven ({cycles})"
        if self.finished:
            seconds = sum(s.seconds or 0.0 for s in self.segments)
            rate = self.rate()
            speed = f" ({rate / 1e3:,.1f} kHz)" if rate else ""
            return (f"{n} {noun} proven: {self.cycles:,} cycles in "
                    f"{describe_seconds(seconds)}{speed}")
        text = f"{proven} of {n} {noun} proven ({cycles})"
        busy = [s.index for s in self.segments if s.state == PROVING]
        workers = self.workers()
        if len(busy) > 1 or workers:
            where = f" on {len(workers)} worker{'s' if len(workers) != 1 else ''}"
            text = (f"Proving {len(busy)} segment{'s' if len(busy) != 1 else ''}"
                    f"{where if workers else ''} · " + text)
        elif self.current is not None:
            text = f"Proving segment {self.current + 1} of {n} · " + text
        return text


def describe_estimate(seconds: float) -> str:
    """A duration as an estimate reads: ``"12 s"``, ``"3 min 20 s"``, ``"1 h 05 min"``;
    under a second, ``"a second"``."""
    whole = round(seconds)
    if whole < 1:
        return "a second"
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest:02d} s"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60:02d} min"
