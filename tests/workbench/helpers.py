"""Helpers shared by the workbench tests: synthetic drops, executions, small guests, and
measures of cancel latency and event-loop turns."""
from __future__ import annotations

import itertools
import os
import time

from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from engine.api import INTERNAL_ERROR
from tests.vm.asm import Asm


def execute_and_wait(qtbot, window, timeout_ms: int = 60_000) -> dict:
    """Start an execution and return the ``executeFinished`` payload."""
    with qtbot.waitSignal(window.executeFinished, timeout=timeout_ms) as blocker:
        assert window.start_execute()
    return blocker.args[0]


# How long a cancel may take, from the request to the task's failure signal. The
# executor and the prover stop within a fraction of a second on a quiet machine; the
# bound is for two cores shared with other test workers, and only catches a cancel
# that is not honoured until the task ends of itself.
CANCEL_LATENCY_S = 30.0

# The longest the event loop may go without turning while a task runs. A 10 ms timer
# measures 12-50 ms executing and 85-410 ms proving (docs/workbench.md, "How it stays
# responsive"); the bound is generous for a loaded machine and still far below a task
# that holds the GIL for a whole kernel call or phase (seconds).
LONGEST_GAP_S = 1.0


def assert_shown_rejection(text: str, *expected: str) -> None:
    """Assert that ``text`` (a verdict, a ``verifyFinished`` summary) says Invalid for
    one of the ``expected`` reasons, and not because the verifier raised: the window's
    twin of ``tests.rejection.assert_rejected``, for what it shows."""
    assert expected, "say which reason the rejection must give"
    assert "Invalid: " in text, f"not shown as Invalid: {text!r}"
    assert INTERNAL_ERROR not in text, f"the verifier raised: {text!r}"
    assert any(reason in text for reason in expected), (
        f"rejected for another reason: {text!r}; expected one of {expected!r}")


def cancel_and_wait(qtbot, window, signal, timeout_ms: int = 120_000) -> tuple[list, float]:
    """Press Cancel and wait for ``signal`` (``executeFailed``, ``proveFailed``...).

    Returns the signal's arguments and the seconds from the request to the signal's
    emission (not to when this wait noticed it).
    """
    arrived: list[float] = []

    def record(*_args) -> None:
        arrived.append(time.perf_counter())

    signal.connect(record)
    try:
        with qtbot.waitSignal(signal, timeout=timeout_ms) as blocker:
            requested = time.perf_counter()
            window.cancel()
    finally:
        signal.disconnect(record)
    return blocker.args, arrived[0] - requested


class Ticks:
    """The turns of the event loop, seen as the ticks of a 10 ms GUI timer."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.times: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def start(self) -> None:
        self.times.clear()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def __len__(self) -> int:
        return len(self.times)

    def longest_gap(self) -> float:
        """The longest time between two ticks, in seconds (0 with fewer than two)."""
        return max((b - a for a, b in itertools.pairwise(self.times)), default=0.0)


def drop_files(widget, *paths: str) -> bool:
    """Drag ``paths`` onto ``widget`` and drop them, as a file manager would.

    Returns whether the drag was accepted on entering.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(os.path.abspath(p)) for p in paths])
    position = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.CopyAction, mime, Qt.LeftButton,
                            Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(position, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted()


def write_elf(path, asm: Asm) -> str:
    path.write_bytes(asm.elf())
    return str(path)


def endless_loop_elf(path) -> str:
    """A guest that never exits (``j .``): runs until cancelled or the cycle limit."""
    asm = Asm()
    asm.jal(0, 0)
    return write_elf(path, asm)


def ebreak_elf(path) -> str:
    """A guest that sets t0 = 42 and then hits ``ebreak`` (a fault) at its second word."""
    asm = Asm()
    asm.op("addi", 5, 0, 42)
    asm.emit(0x00100073)
    return write_elf(path, asm)
