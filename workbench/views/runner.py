"""Run one task at a time in a worker thread and bring its events to the GUI thread.

A task (``workbench.model.tasks``) runs in a superqt ``FunctionWorker``; the engine calls it
back between chunks of work (``on_progress``, ``on_event``), and those callbacks put
events on a queue. A GUI timer drains the queue every 50 ms, so a burst of events
never floods the event loop, and ticks the elapsed time. Cancel sets the task's
``engine.events.CancelToken``, which the engine polls between chunks (~8M cycles when
executing), so work stops within a fraction of a second once a kernel call returns.
Workers run in the runner's own ``QThreadPool`` (not Qt's global one), so what it
waits for and reports (``active_threads``, ``wait_for_threads``) is its own work.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

from engine.events import CancelToken

DRAIN_INTERVAL_MS = 50


class TaskRunner(QObject):
    """Runs ``task(*args, report=..., cancel=...)`` off the GUI thread.

    Signals (all on the GUI thread): ``started(str)`` with the task's name when it
    starts, before any of its events; ``event(object)`` for each reported event, in
    order; ``tick(float)`` with the elapsed seconds while busy; ``succeeded(str,
    object)`` with the task's name and result; ``failed(str, object)`` with its name
    and the exception (``engine.errors.Cancelled`` when cancelled). Every event a task
    reported is delivered before its ``succeeded`` or ``failed``.
    """

    started = Signal(str)
    event = Signal(object)
    tick = Signal(float)
    succeeded = Signal(str, object)
    failed = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)
        self._cancel = CancelToken()
        self._done = threading.Event()
        self._done.set()
        self._worker = None
        self._pool = QThreadPool(self)
        # Workers whose thread has not finished yet (the pool does not own them).
        self._live: set = set()
        self._abandoned: list = []
        self._name = ""
        self._started = 0.0

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @property
    def task_name(self) -> str:
        """Name of the running task ("" when idle)."""
        return self._name if self.busy else ""

    def elapsed(self) -> float:
        return time.perf_counter() - self._started if self.busy else 0.0

    def start(self, name: str, task: Callable, *args) -> bool:
        """Start ``task``; False (and nothing started) if another task is running."""
        if self.busy:
            return False
        self._cancel = cancel = CancelToken()
        self._done = done = threading.Event()
        events = self._events

        def body():
            try:
                return task(*args, report=events.put, cancel=cancel)
            finally:
                done.set()

        worker = create_worker(body, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        self._worker = worker
        self._name = name
        self._started = time.perf_counter()
        self._timer.start()
        self.started.emit(name)
        self._live.add(worker)
        worker.finished.connect(lambda: self._live.discard(worker))
        self._pool.start(worker)
        return True

    def cancel(self) -> None:
        """Ask the running task to stop at its next check (no effect when idle)."""
        self._cancel.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self.busy and self._cancel.cancelled

    def wait(self, seconds: float) -> bool:
        """Block until the task is done (True) or ``seconds`` pass (False)."""
        return self._done.wait(seconds)

    def active_threads(self) -> int:
        """How many of this runner's worker threads are running a task now."""
        return self._pool.activeThreadCount()

    def wait_for_threads(self, milliseconds: int) -> bool:
        """Block until every worker thread of this runner is done (True) or
        ``milliseconds`` pass (False); the threads' last signals are emitted by then."""
        return self._pool.waitForDone(max(0, int(milliseconds)))

    def shutdown(self, seconds: float = 10.0) -> bool:
        """Cancel, wait for the thread, and drop its signals (the window is closing).

        The task's end is not the thread's: the worker still emits ``returned`` or
        ``errored`` after it, so the pool is waited for too before the worker object is
        let go (else that emit hits a deleted object: "Signal source has been deleted").
        A task that cannot stop in time (Numba compiling a kernel does not look at the
        cancel token) keeps its worker object alive here; False is returned, and the
        caller decides whether to wait or to end the process (workbench.app does).
        """
        worker = self._worker
        if worker is None:
            return True
        self.cancel()
        deadline = time.perf_counter() + seconds
        self.wait(seconds)
        finished = self.wait_for_threads(int((deadline - time.perf_counter()) * 1000))
        for signal in (worker.returned, worker.errored):
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass
        if not finished:
            self._abandoned.append(worker)
        self._timer.stop()
        self._worker = None
        return finished

    def _drain(self) -> None:
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                break
            self.event.emit(item)
        if self.busy:
            self.tick.emit(self.elapsed())

    def _finish(self) -> str:
        self._drain()
        self._timer.stop()
        name, self._worker, self._name = self._name, None, ""
        return name

    def _on_returned(self, result) -> None:
        self.succeeded.emit(self._finish(), result)

    def _on_errored(self, error) -> None:
        self.failed.emit(self._finish(), error)
