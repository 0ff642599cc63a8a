"""A one-line label that never widens its window: text too long for it ends in "…".

Its minimum width is small, whatever the text, so a long message (a verdict, a file
name, a digest) cannot push the window past the screen; the whole text is in
``text()`` and, when it does not fit, in the tooltip.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy

MIN_WIDTH = 80


class ElidedLabel(QLabel):
    """A ``QLabel`` for plain one-line text, elided on the right when it does not fit."""

    def __init__(self, text: str = "", parent=None, objectName: str = "") -> None:
        super().__init__(text, parent)
        if objectName:
            self.setObjectName(objectName)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self._tooltip = ""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), max(self.minimumWidth(), MIN_WIDTH)), hint.height())

    def is_elided(self) -> bool:
        """Whether the text is cut at the label's present width."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def setToolTip(self, text: str) -> None:
        self._tooltip = text
        super().setToolTip(text)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        metrics = self.fontMetrics()
        shown = metrics.elidedText(self.text(), Qt.ElideRight, rect.width())
        painter.setPen(self.palette().windowText().color())
        painter.drawText(rect, int(self.alignment()) | Qt.TextSingleLine, shown)
        painter.end()
        super().setToolTip(self._tooltip or (self.text() if shown != self.text() else ""))


class WrapLabel(QLabel):
    """A word-wrapped ``QLabel`` (a notice, a verdict) whose size hints never ask for
    more width than ``MAX_HINT`` however long its text: it grows downwards, and a word
    longer than its width is cut at its edge rather than widening the window."""

    MAX_HINT = 360

    def __init__(self, text: str = "", parent=None, objectName: str = "") -> None:
        super().__init__(text, parent)
        if objectName:
            self.setObjectName(objectName)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), MIN_WIDTH), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        width = min(hint.width(), self.MAX_HINT)
        return QSize(width, max(hint.height(), self.heightForWidth(width)))
