"""Phase, progress, time left and elapsed time of the running task, and its Cancel button.

The phase's words come from ``workbench.model.phases``, the time left from
``workbench.model.segments`` (a proof of several segments); this widget only shows them.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from workbench.model.formatting import describe_seconds
from workbench.views.elided_label import ElidedLabel

STEPS = 1000


class ProgressPanel(QWidget):
    """A phase label, a progress bar (busy when the fraction is unknown) and the time."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.phase = ElidedLabel("Ready", objectName="phaseLabel")
        self.phase.setMinimumWidth(200)
        self.bar = QProgressBar(objectName="progressBar")
        self.bar.setRange(0, STEPS)
        self.bar.setValue(0)
        self.bar.setTextVisible(False)
        self.eta = QLabel("", objectName="etaLabel")
        self.eta.setToolTip("Time left: the cycles not proven yet at the rate the finished "
                            "segments were proven at")
        self.eta.setContentsMargins(8, 0, 12, 0)
        self.elapsed = QLabel("", objectName="elapsedLabel")
        self.elapsed.setMinimumWidth(70)
        self.cancel = QPushButton("Cancel", objectName="cancelButton")
        self.cancel.setToolTip("Stop the running task (Esc)")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancelRequested)
        layout.addWidget(self.phase)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.eta)
        layout.addWidget(self.elapsed)
        layout.addWidget(self.cancel)
        self._phase_text = "Ready"
        self._detail = ""

    def begin(self, text: str) -> None:
        self.cancel.setEnabled(True)
        self.elapsed.setText("0.0 s")
        self.set_eta("")
        self.set_phase(text)

    def set_phase(self, text: str, fraction: float | None = None) -> None:
        """A new phase; ``fraction`` in [0, 1] when known, else the bar shows it is busy."""
        self._phase_text, self._detail = text, ""
        self._show_label()
        self.set_fraction(fraction)

    def set_fraction(self, fraction: float | None) -> None:
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, STEPS)
            self.bar.setValue(round(min(max(fraction, 0.0), 1.0) * STEPS))

    def set_detail(self, text: str) -> None:
        self._detail = text
        self._show_label()

    def set_elapsed(self, seconds: float) -> None:
        self.elapsed.setText(f"{seconds:.1f} s" if seconds < 60 else describe_seconds(seconds))

    def set_eta(self, text: str) -> None:
        """The time left (``"about 4 min 10 s left"``), or "" to show none."""
        self.eta.setText(text)
        self.eta.setVisible(bool(text))

    def eta_text(self) -> str:
        return self.eta.text()

    def cancelling(self) -> None:
        self.cancel.setEnabled(False)
        self.set_detail("cancelling…")

    def finish(self, text: str, done: bool = True) -> None:
        self.cancel.setEnabled(False)
        self.set_eta("")
        self.bar.setRange(0, STEPS)
        self.bar.setValue(STEPS if done else 0)
        self._phase_text, self._detail = text, ""
        self._show_label()

    def text(self) -> str:
        return self.phase.text()

    def _show_label(self) -> None:
        self.phase.setText(self._phase_text + (f" · {self._detail}" if self._detail else "")
                           + ("…" if self.cancel.isEnabled() and not self._detail else ""))
