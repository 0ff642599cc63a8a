"""The banner above the panels: what just happened, and what to do about it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton

from workbench.views import theme
from workbench.views.elided_label import WrapLabel

# Accent, background and text colour per level, for the light palette; the dark one
# keeps the accent and uses the palette's own colours.
_LEVELS = {"info": ("#2f6fd0", "#e8f0fc", "#17345f"),
           "warning": ("#c47f00", "#fff4df", "#5a3b00"),
           "error": ("#d02a2a", "#fde8e8", "#5f1515")}


class NoticeBar(QFrame):
    """A dismissible one-line message with an accent for its level."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self._text = WrapLabel(objectName="noticeText")
        self._text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QToolButton(text="✕", toolTip="Dismiss", autoRaise=True)
        close.clicked.connect(self.hide)
        layout.addWidget(self._text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        accent, background, color = _LEVELS[level]
        if theme.is_dark():
            background, color = "#2a2f38", "#e6e9ee"
        self.setStyleSheet(f"QFrame#notice {{ border-left: 4px solid {accent}; "
                           f"background: {background}; }} QLabel {{ color: {color}; }}")
        self._text.setText(text)
        self.show()

    def message(self) -> str:
        """The message shown ("" when dismissed or never shown)."""
        return "" if self.isHidden() else self._text.text()
