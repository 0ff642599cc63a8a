"""The verification result: Valid or Invalid with the reason, and what the receipt claims.

Filled by the window once a receipt is verified in a worker. The expected image ID is
the program the user loaded unless another one is pinned here; with neither, receipts
are checked against the program they carry. What the verdict says is decided by
``workbench.model.verdict`` (Qt-free); this widget only shows it.
"""
from __future__ import annotations

import os
import string

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QTabWidget,
                               QVBoxLayout, QWidget)

from workbench.views import theme
from engine.runtime.compile_time import describe_verify_time
from workbench.model.formatting import describe_journal, describe_size, hex_dump
from workbench.model.verdict import NOT_VERIFIED, VerifySummary, short_image_id

__all__ = ["HINT", "VerifyPanel", "VerifySummary"]

HINT = ("Drop a receipt (.zkr) anywhere on the window, or use File → Verify receipt…, "
        "to check it here.")


class VerifyPanel(QWidget):
    """Verdict, claim and figures of the last verification."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verifyResult")
        layout = QVBoxLayout(self)
        self._verdict = QLabel(wordWrap=True)
        self._verdict.setObjectName("verifyVerdict")
        self._verdict.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self._verdict)
        form = QFormLayout()
        self._pinned = QLineEdit(objectName="pinnedImageId")
        self._pinned.setClearButtonEnabled(True)
        self.set_expected("", "")
        form.addRow("Expected image ID", self._pinned)
        self._fields: dict[str, QLabel] = {}
        for key, label in (("receipt", "Receipt"), ("image", "Image ID"), ("exit", "Exit code"),
                           ("security", "Security"), ("height", "Trace height"),
                           ("size", "Receipt size"), ("time", "Verify time")):
            value = QLabel("–", wordWrap=True)
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
        text = self._pinned.text().strip().lower().removeprefix("0x")
        if len(text) == 64 and all(c in string.hexdigits for c in text):
            return text
        return None

    def set_expected(self, name: str, image_id_hex: str) -> None:
        """Say which program receipts are compared with ("" : none, checked unpinned)."""
        self._pinned.setPlaceholderText(
            f"{name}'s, {short_image_id(image_id_hex)} (or paste an image ID to pin another)"
            if image_id_hex else
            "none: open a program or paste an image ID to compare receipts with it")

    def expected_hint(self) -> str:
        return self._pinned.placeholderText()

    def show_message(self, text: str) -> None:
        """No verdict: a hint, or why there is none (e.g. verification is not available)."""
        self._verdict.setText(text)
        self._verdict.setStyleSheet("")
        self._verdict.setProperty("verdictState", "")
        for value in self._fields.values():
            value.setText("–")
        self._journal_text.clear()
        self._journal_hex.clear()

    def message(self) -> str:
        return self._verdict.text()

    def state(self) -> str:
        """The last verdict's ``workbench.model.verdict`` state ("" while a message is shown)."""
        return self._verdict.property("verdictState") or ""

    def field(self, key: str) -> str:
        """A figure's text: ``receipt``, ``image``, ``exit``, ``security``, ``height``,
        ``size`` or ``time``."""
        return self._fields[key].text()

    def verdict_color(self) -> str:
        """The colour the verdict is written in ("" for a plain message)."""
        style = self._verdict.styleSheet()
        return style.split("color:")[-1].strip(" ;") if "color:" in style else ""

    def show_result(self, summary: VerifySummary) -> None:
        verdict = summary.verdict()
        color = theme.plot_colors()[verdict.color_role]
        self._verdict.setText(verdict.headline)
        big = verdict.state != NOT_VERIFIED and len(verdict.headline) < 60
        self._verdict.setStyleSheet(f"font-size: {'16pt' if big else '12pt'}; "
                                    f"font-weight: bold; color: {color};")
        self._verdict.setProperty("verdictState", verdict.state)
        f = self._fields
        f["receipt"].setText(os.path.basename(summary.path) or "–")
        f["receipt"].setToolTip(summary.path)
        f["image"].setText(short_image_id(summary.image_id_hex)
                           + (f"\n{verdict.image_note}" if verdict.image_note else ""))
        f["image"].setToolTip(summary.image_id_hex)
        f["exit"].setText("–" if summary.exit_code is None else str(summary.exit_code))
        f["security"].setText("–" if summary.security_bits is None
                              else f"{summary.security_bits:.0f} bits (conjectured)")
        f["height"].setText("–" if summary.trace_height is None
                            else f"{summary.trace_height:,} rows")
        f["size"].setText("–" if summary.receipt_bytes is None
                          else describe_size(summary.receipt_bytes))
        f["time"].setText("–" if summary.seconds is None else
                          describe_verify_time(summary.seconds, summary.compile_seconds))
        self._journal_text.setPlainText(describe_journal(summary.journal))
        self._journal_hex.setPlainText(hex_dump(summary.journal))

