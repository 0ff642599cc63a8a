"""The status bar: a hint on the left, elided before it reaches the permanent label on
the right (Qt's own draws a long message under that label)."""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStatusBar

GAP = 16


class StatusBar(QStatusBar):
    """A ``QStatusBar`` whose temporary message ends in "…" ``GAP`` pixels before the
    first permanent widget; ``message_rect`` and ``shown_message`` say where and what."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self._permanent: list = []

    def addPermanentWidget(self, widget, stretch: int = 0) -> None:
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left margin to ``GAP`` before the first
        visible permanent widget."""
        right = self.width() - GAP
        for widget in self._permanent:
            if widget.isVisible():
                right = min(right, widget.geometry().left() - GAP)
        return QRect(6, 0, max(0, right - 6), self.height())

    def shown_message(self) -> str:
        """The message as drawn (elided to ``message_rect``)."""
        return self.fontMetrics().elidedText(self.currentMessage(), Qt.ElideRight,
                                             self.message_rect().width())

    def paintEvent(self, event) -> None:
        message = self.currentMessage()
        if not message:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.message_rect(), int(Qt.AlignLeft | Qt.AlignVCenter)
                         | Qt.TextSingleLine, self.shown_message())
        painter.end()
