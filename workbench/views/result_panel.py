"""The outcome of the last execution: exit code, cycles, speed, journal and guest log."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from workbench.model.formatting import describe_journal, describe_seconds, hex_dump
from workbench.views.elided_label import WrapLabel


class ResultPanel(QWidget):
    """Exit code, cycles, speed; the journal as text and hex; the guest's stderr log."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self._fields: dict[str, QLabel] = {}
        for key, label in (("outcome", "Outcome"), ("exit", "Exit code"), ("cycles", "Cycles"),
                           ("speed", "Speed"), ("trace", "Trace")):
            value = WrapLabel("–")
            value.setObjectName(f"result_{key}")
            value.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self._fields[key] = value
            form.addRow(label, value)
        layout.addLayout(form)
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.journal = QPlainTextEdit(readOnly=True, objectName="journalView")
        self.journal.setPlaceholderText("What the guest commits (writes to stdout) appears "
                                        "here: it is public and part of the proof's claim.")
        self.journal_hex = QPlainTextEdit(readOnly=True, objectName="journalHex")
        self.journal_hex.setFont(mono)
        self.log = QPlainTextEdit(readOnly=True, objectName="guestLog")
        self.log.setPlaceholderText("What the guest writes to stderr: shown to you, not proven.")
        self.log.setFont(mono)
        tabs = QTabWidget(objectName="resultTabs")
        tabs.addTab(self.journal, "Journal")
        tabs.addTab(self.journal_hex, "Journal (hex)")
        tabs.addTab(self.log, "Guest log (stderr)")
        self.tabs = tabs
        layout.addWidget(tabs, 1)

    def clear(self, outcome: str = "–") -> None:
        for key, value in self._fields.items():
            value.setText(outcome if key == "outcome" else "–")
        self.journal.clear()
        self.journal_hex.clear()
        self.log.clear()

    def field(self, key: str) -> str:
        return self._fields[key].text()

    def show_execution(self, result, trace_note: str) -> None:
        """Show an ``engine.vm.ExecutionResult``."""
        self._fields["outcome"].setText("Exited")
        self._fields["exit"].setText(f"{result.exit_code}" + ("" if result.exit_code == 0
                                                               else " (non-zero)"))
        self._fields["cycles"].setText(f"{result.cycles:,}")
        self._fields["speed"].setText(f"{result.mhz:.1f} MHz · {describe_seconds(result.seconds)}")
        self._fields["trace"].setText(trace_note or f"{result.cycles:,} rows recorded")
        self._show_output(result.journal, result.log, result.log_bytes_dropped)

    def show_executed(self, cycles: int, outcome: str) -> None:
        """The execute phase of a proof ended after ``cycles`` cycles (the rest comes
        when the proof ends)."""
        self._fields["outcome"].setText(outcome)
        self._fields["cycles"].setText(f"{cycles:,}")

    def show_failure(self, outcome: str, message: str, journal: bytes = b"",
                     log: bytes = b"", cycles: int | None = None) -> None:
        """A fault, a cancel or an error; what the guest wrote until then is still shown."""
        self.clear(outcome)
        if cycles is not None:
            self._fields["cycles"].setText(f"{cycles:,}")
        self._fields["trace"].setText(message)
        self._show_output(journal, log, 0)

    def _show_output(self, journal: bytes, log: bytes, dropped: int) -> None:
        self.journal.setPlainText(describe_journal(journal))
        self.journal_hex.setPlainText(hex_dump(journal) if journal else "(empty journal)")
        text = log.decode("utf-8", errors="replace")
        if dropped:
            text += f"\n[{dropped:,} more bytes of log were dropped]"
        self.log.setPlainText(text)
