"""Helpers shared by the workbench tests: synthetic drops, executions, small guests."""
from __future__ import annotations

import os

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.vm.asm import Asm


def execute_and_wait(qtbot, window, timeout_ms: int = 60_000) -> dict:
    """Start an execution and return the ``executeFinished`` payload."""
    with qtbot.waitSignal(window.executeFinished, timeout=timeout_ms) as blocker:
        assert window.start_execute()
    return blocker.args[0]


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
