"""The verification result: Valid or Invalid with the reason, and what the receipt claims.

Filled by the window once a receipt is verified in a worker. The expected image ID is
the loaded program's unless the user pins another one here.
"""
from __future__ import annotations

import os
import string
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QTabWidget,
                               QVBoxLayout, QWidget)

from workbench import theme
from engine.compile_time import describe_verify_time
from workbench.formatting import describe_journal, describe_size, hex_dump

HINT = ("Drop a receipt (.zkr) anywhere on the window, or use File → Verify receipt…, "
        "to check it here.")


@dataclass(frozen=True)
class VerifySummary:
    """What the panel shows about one receipt. ``valid`` is None when the receipt is
    well formed but was not verified (``reason`` says why)."""
    valid: bool | None
    reason: str
    path: str = ""
    image_id_hex: str = ""
    expected_image_id_hex: str = ""
    journal: bytes = b""
    exit_code: int | None = None
    security_bits: float | None = None
    trace_height: int | None = None
    receipt_bytes: int | None = None
    seconds: float | None = None
    compile_seconds: float = 0.0

    @property
    def image_id_matches(self) -> bool | None:
        if not self.expected_image_id_hex or not self.image_id_hex:
            return None
        return self.expected_image_id_hex.lower() == self.image_id_hex.lower()


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
        self._pinned.setPlaceholderText("the loaded program's (or paste an image ID to pin it)")
        self._pinned.setClearButtonEnabled(True)
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

    def show_message(self, text: str) -> None:
        """No verdict: a hint, or why there is none (e.g. verification is not available)."""
        self._verdict.setText(text)
        self._verdict.setStyleSheet("")
        for value in self._fields.values():
            value.setText("–")
        self._journal_text.clear()
        self._journal_hex.clear()

    def message(self) -> str:
        return self._verdict.text()

    def show_result(self, summary: VerifySummary) -> None:
        colors = theme.plot_colors()
        if summary.valid is None:
            verdict, color = f"Not verified: {summary.reason}", colors["accent"]
        elif summary.valid:
            verdict, color = "✔ Valid", colors["passed"]
        else:
            verdict, color = f"✘ Invalid: {summary.reason}", colors["failed"]
        self._verdict.setText(verdict)
        size = "16pt" if summary.valid is not None and len(verdict) < 60 else "12pt"
        self._verdict.setStyleSheet(f"font-size: {size}; font-weight: bold; color: {color};")
        f = self._fields
        f["receipt"].setText(os.path.basename(summary.path) or "–")
        f["receipt"].setToolTip(summary.path)
        match = summary.image_id_matches
        note = {True: "\nmatches the expected one", False: "\ndoes NOT match the expected "
                f"{_short(summary.expected_image_id_hex)}", None: ""}[match]
        f["image"].setText(_short(summary.image_id_hex) + note)
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


def _short(image_id_hex: str) -> str:
    """``"79805dfd2352…ed4c14"``: enough to recognise, short enough for the panel."""
    if len(image_id_hex) <= 20:
        return image_id_hex or "–"
    return f"{image_id_hex[:12]}…{image_id_hex[-6:]}"
