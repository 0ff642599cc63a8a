"""Progress events and cancellation for long engine work (execute, prove, verify).

Long calls take ``on_event`` (a callable receiving one event at a time, on the
calling thread) and ``cancel`` (a :class:`CancelToken`). Events are small frozen
dataclasses; a GUI turns them into progress bars and plots, a CLI into a progress
line, tests into assertions about order. A cancel token is checked between chunks of
work, so :meth:`CancelToken.cancel` from another thread stops the work with
:class:`engine.errors.Cancelled` shortly after (well under a second).

Events:

* :class:`PhaseStarted` / :class:`PhaseFinished`: a named phase and its wall time;
* :class:`Progress`: the fraction of the current phase done, in ``[0, 1]``;
* :class:`TraceReady`: the main trace, once it exists (column names and a read-only
  ``(n_columns, H)`` uint32 view);
* :class:`Committed`: a Merkle root, named after what it commits;
* :class:`FriLayers`: the sizes of FRI's codewords, first (the LDE) to last;
* :class:`QueryPositions`: the query positions drawn from the transcript;
* :class:`QueryChecked`: the verifier's verdict on one query;
* :class:`SegmentsPlanned`: how a run is cut into segments (continuations), once,
  after execution;
* :class:`SegmentStarted` / :class:`SegmentFinished`: the prover begins and ends one
  segment's STARK proof;
* :class:`SegmentVerified`: the verifier's verdict on one segment's seal.

Segments. A run is proved as ``count`` segments, one STARK proof each, proved one
after another in index order. Every other event emitted between a
:class:`SegmentStarted` and the :class:`SegmentFinished` with the same ``index``
(phases, progress, the trace, commitments, FRI layers, queries) belongs to that
segment; the existing events carry no segment field. Events before the first
:class:`SegmentStarted` (executing, the witness) belong to the run as a whole.
Proved on a cluster (``engine.prove(..., cluster=...)``), segments run in parallel:
each gets a :class:`SegmentStarted` when a worker starts it and a
:class:`SegmentFinished` when its seal came back and checked, both naming the worker,
in any order across segments (a segment re-proved after a bad seal or a lost worker
starts again), and no events of its proof's phases.
A verifier emits :class:`SegmentVerified` once the check of a segment's seal ends,
and the query events before it belong to that segment. A run that fits one trace is
one segment: ``SegmentsPlanned(1, H, cycles)``, ``SegmentStarted(0, 1, 0, cycles)``,
the proof's events, ``SegmentFinished(0, 1, seconds)``.

:class:`Reporter` bundles a callback and a token for the code that emits them.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from engine.errors import Cancelled

__all__ = ["CancelToken", "Committed", "Event", "EventCallback", "FriLayers", "PhaseFinished",
           "PhaseStarted", "Progress", "QueryChecked", "QueryPositions", "Reporter",
           "SegmentFinished", "SegmentStarted", "SegmentVerified", "SegmentsPlanned",
           "TraceReady"]


@dataclass(frozen=True)
class PhaseStarted:
    """Phase ``phase`` begins (e.g. ``"commit main"``)."""

    phase: str


@dataclass(frozen=True)
class PhaseFinished:
    """Phase ``phase`` ended after ``seconds`` of wall time."""

    phase: str
    seconds: float


@dataclass(frozen=True)
class Progress:
    """``fraction`` (0..1) of phase ``phase`` is done."""

    phase: str
    fraction: float


@dataclass(frozen=True, eq=False)
class TraceReady:
    """The main trace: ``names[i]`` labels row ``i`` of ``columns``, a read-only
    ``(n_columns, H)`` uint32 array (the rows that are committed, random rows included)."""

    names: tuple[str, ...]
    columns: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Committed:
    """A commitment's 32-byte Merkle root (``name``: "preprocessed", "main", "aux",
    "quotient", ...)."""

    name: str
    root: bytes


@dataclass(frozen=True)
class FriLayers:
    """Sizes of FRI's codewords: the input (LDE) size, then each folded layer's, the
    last being the final polynomial's evaluation domain."""

    sizes: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class QueryPositions:
    """The query positions (``(num_queries,)`` int64, in ``[0, domain_size)``) in the
    LDE domain of ``domain_size`` points."""

    positions: np.ndarray = field(repr=False)
    domain_size: int


@dataclass(frozen=True)
class QueryChecked:
    """The verifier checked query ``index`` at LDE position ``position``."""

    index: int
    position: int
    passed: bool


@dataclass(frozen=True)
class SegmentsPlanned:
    """The run of ``cycles`` cycles is proved as ``count`` segments (at least 1), each
    a STARK proof of a trace of at most ``rows_per_segment`` rows (a power of two)."""

    count: int
    rows_per_segment: int
    cycles: int


@dataclass(frozen=True)
class SegmentStarted:
    """The prover begins segment ``index`` of ``count`` (0-based): ``cycles`` cycles of
    the run, from cycle ``first_cycle`` on. Events until its :class:`SegmentFinished`
    belong to it. ``worker``: the Dask worker's address when the segment is proved on
    a cluster (``docs/distributed.md``), None in this process."""

    index: int
    count: int
    first_cycle: int
    cycles: int
    worker: str | None = None


@dataclass(frozen=True)
class SegmentFinished:
    """Segment ``index`` of ``count`` is proven, after ``seconds`` of wall time
    (``worker``: as in :class:`SegmentStarted`)."""

    index: int
    count: int
    seconds: float
    worker: str | None = None


@dataclass(frozen=True)
class SegmentVerified:
    """The verifier's verdict on segment ``index`` of ``count``: whether its seal
    proves its part of the claim."""

    index: int
    count: int
    valid: bool


Event = (PhaseStarted | PhaseFinished | Progress | TraceReady | Committed | FriLayers
         | QueryPositions | QueryChecked | SegmentsPlanned | SegmentStarted | SegmentFinished
         | SegmentVerified)
EventCallback = Callable[[Event], None]


class CancelToken:
    """A flag one thread sets (:meth:`cancel`) and a worker polls between chunks.

    Thread-safe; once cancelled it stays cancelled.
    """

    def __init__(self) -> None:
        self._flag = threading.Event()

    def cancel(self) -> None:
        """Ask the work holding this token to stop."""
        self._flag.set()

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`engine.errors.Cancelled` if :meth:`cancel` was called."""
        if self._flag.is_set():
            raise Cancelled("cancelled")


class Reporter:
    """What emitting code holds: an optional callback and an optional cancel token.

    Every emission also polls the token, so code that reports progress between chunks
    is cancellable for free. Exceptions raised by the callback propagate.
    """

    def __init__(self, on_event: EventCallback | None = None,
                 cancel: CancelToken | None = None) -> None:
        if on_event is not None and not callable(on_event):
            raise TypeError("on_event must be callable")
        if cancel is not None and not isinstance(cancel, CancelToken):
            raise TypeError("cancel must be a CancelToken")
        self._on_event = on_event
        self._cancel = cancel

    @property
    def cancel(self) -> CancelToken | None:
        """The cancel token (None if none)."""
        return self._cancel

    def cancelled(self) -> bool:
        """Whether the token was cancelled (a ``should_cancel`` for the executor)."""
        return self._cancel is not None and self._cancel.cancelled

    def emit(self, event: Event) -> None:
        """Send ``event`` to the callback (if any), then poll the cancel token."""
        if self._on_event is not None:
            self._on_event(event)
        self.check_cancel()

    def check_cancel(self) -> None:
        """Raise :class:`engine.errors.Cancelled` if the token was cancelled."""
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()

    def progress(self, phase: str, fraction: float) -> None:
        self.emit(Progress(phase, min(1.0, max(0.0, float(fraction)))))

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Emit :class:`PhaseStarted`, run the block, emit :class:`PhaseFinished`
        (not when the block raises)."""
        self.emit(PhaseStarted(name))
        start = time.perf_counter()
        yield
        self.emit(PhaseFinished(name, time.perf_counter() - start))
