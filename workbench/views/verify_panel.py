"""The verification result: Valid or Invalid with the reason, and what the receipt claims.

Filled by the window once a receipt is verified in a worker. The expected image ID is
the program the user loaded unless another one is pinned here; with neither, receipts
are checked against the program they carry. What the verdict says is decided by
``workbench.model.verdict`` (Qt-free), and so are the figures' texts; this widget only
shows them.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QTabWidget,
                               QVBoxLayout, QWidget)

from workbench.model.formatting import describe_journal, hex_dump
from workbench.model.screen import VERIFY_HINT
from workbench.model.verdict import (FIGURES, NOT_VERIFIED, VerifySummary, expected_image_hint,
                                     figures, parse_image_id)
from workbench.views import theme
from workbench.views.elided_label import WrapLabel

__all__ = ["HINT", "VerifyPanel"]

HINT = VERIFY_HINT


class VerifyPanel(QWidget):
    """Verdict, claim and figures of the last verification."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verifyResult")
        layout = QVBoxLayout(self)
        self._verdict = WrapLabel(objectName="verifyVerdict")
        self._verdict.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self._verdict)
        # Under a plain-language verdict, the engine's technical reason.
        self._detail = WrapLabel(objectName="verifyDetail")
        self._detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._detail.hide()
        layout.addWidget(self._detail)
        form = QFormLayout()
        self._pinned = QLineEdit(objectName="pinnedImageId")
        self._pinned.setClearButtonEnabled(True)
        self.set_expected("", "")
        form.addRow("Expected image ID", self._pinned)
        self._fields: dict[str, QLabel] = {}
        for key, label in FIGURES:
            value = WrapLabel("–")
            value.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self._fields[key] = value
            form.addRow(label, value)
        layout.addLayout(form)
        self._journal_tabs = QTabWidget()
        self._journal_text = QPlainTextEdit(readOnly=True, objectName="verifiedJournal")
        self._journal_hex = QPlainTextEdit(readOnly=True, objectName="verifiedJournalHex")
        self._journal_tabs.addTab(self._journal_text, "Journal (text)")
        self._journal_tabs.addTab(self._journal_hex, "Journal (hex)")
        layout.addWidget(self._journal_tabs, 1)
        self.show_message(HINT)

    def pinned_image_id(self) -> str | None:
        """The image ID the user pinned (64 hex digits), or None to use the loaded ELF's."""
        return parse_image_id(self._pinned.text())

    def pin_image_id(self, text: str) -> None:
        """Put ``text`` in the expected-image field, as if pasted there ("" unpins)."""
        self._pinned.setText(text)

    def set_expected(self, name: str, image_id_hex: str) -> None:
        """Say which program receipts are compared with ("" : none, checked unpinned)."""
        self._pinned.setPlaceholderText(expected_image_hint(name, image_id_hex))

    def expected_hint(self) -> str:
        return self._pinned.placeholderText()

    def show_message(self, text: str) -> None:
        """No verdict: a hint, or why there is none (e.g. verification is not available)."""
        self._verdict.setText(text)
        self._verdict.setStyleSheet("")
        self._verdict.setProperty("verdictState", "")
        self._detail.setText("")
        self._detail.hide()
        for value in self._fields.values():
            value.setText("–")
        self._journal_text.clear()
        self._journal_hex.clear()

    def message(self) -> str:
        """The verdict (or message) shown; a plain verdict's technical reason follows
        on its own line."""
        detail = self._detail.text()
        return self._verdict.text() + (f"\n{detail}" if detail else "")

    def headline(self) -> str:
        """The verdict's first line, in plain words."""
        return self._verdict.text()

    def detail(self) -> str:
        """The technical reason under a plain verdict ("" when none)."""
        return self._detail.text()

    def state(self) -> str:
        """The last verdict's ``workbench.model.verdict`` state ("" while a message is shown)."""
        return self._verdict.property("verdictState") or ""

    def field(self, key: str) -> str:
        """A figure's text: ``receipt``, ``image``, ``exit``, ``security``, ``height``,
        ``size`` or ``time``."""
        return self._fields[key].text()

    def journal_text(self) -> str:
        """The verified journal as shown on its text tab."""
        return self._journal_text.toPlainText()

    def verdict_color(self) -> str:
        """The colour the verdict is written in ("" for a plain message)."""
        style = self._verdict.styleSheet()
        return style.split("color:")[-1].strip(" ;") if "color:" in style else ""

    def show_result(self, summary: VerifySummary) -> None:
        verdict = summary.verdict()
        color = theme.plot_colors()[verdict.color_role]
        self._verdict.setText(verdict.headline)
        big = verdict.state != NOT_VERIFIED and len(verdict.headline) < 60
        # A long plain-language reason reads better in the body's weight.
        self._verdict.setStyleSheet(f"font-size: {'16pt' if big else '12pt'}; "
                                    f"font-weight: {'bold' if big else 'normal'}; "
                                    f"color: {color};")
        self._verdict.setProperty("verdictState", verdict.state)
        self._detail.setText(verdict.detail)
        self._detail.setVisible(bool(verdict.detail))
        for key, text in figures(summary).items():
            self._fields[key].setText(text)
        self._fields["receipt"].setToolTip(summary.path)
        self._fields["image"].setToolTip(summary.image_id_hex)
        self._journal_text.setPlainText(describe_journal(summary.journal))
        self._journal_hex.setPlainText(hex_dump(summary.journal))

