"""The last proof or verification, phase by phase: timings, commitment roots, FRI layers.

A proof in several segments runs the same phases once per segment: their times are
summed by phase, and the commitments listed are the current segment's.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.model.formatting import describe_seconds
from workbench.views.tables import make_table, set_row

EMPTY_STATE = ("Per-phase timings, the Merkle roots of each commitment and the FRI layer "
               "sizes of the last proof (or verification) appear here.")


class ProofPanel(QWidget):
    """Phase timings and commitments, filled from the engine's events as they arrive."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("proofPanel")
        self.timings: list[tuple[str, float]] = []
        self.commitments: list[tuple[str, bytes]] = []
        self.title = ""
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._stack = QStackedWidget()
        self._empty = QLabel(EMPTY_STATE, wordWrap=True, alignment=Qt.AlignCenter)
        self._empty.setMargin(24)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        self._heading = QLabel(objectName="proofHeading", wordWrap=True)
        self._heading.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._timings = make_table(["Phase", "Time", "Share"], mono)
        self._timings.setObjectName("phaseTimings")
        self._roots = make_table(["Commitment", "Merkle root (SHA-256)"], mono)
        self._roots.setObjectName("commitmentRoots")
        self._roots_title = QLabel("Commitments", objectName="commitmentsTitle")
        self._fri = QLabel(wordWrap=True)
        self._fri.setTextInteractionFlags(Qt.TextSelectableByMouse)
        page_layout.addWidget(self._heading)
        page_layout.addWidget(self._timings, 3)
        page_layout.addWidget(self._roots_title)
        page_layout.addWidget(self._roots, 2)
        page_layout.addWidget(self._fri)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(page)
        layout.addWidget(self._stack)

    def clear(self) -> None:
        """Nothing proved or verified yet (another program was opened)."""
        self.title = ""
        self.timings, self.commitments = [], []
        self._stack.setCurrentIndex(0)

    def is_empty(self) -> bool:
        return self._stack.currentIndex() == 0

    def begin(self, title: str) -> None:
        """A new proof or verification starts: forget the last one."""
        self.title = title
        self.timings, self.commitments = [], []
        self._heading.setText(title)
        self._timings.setRowCount(0)
        self._roots.setRowCount(0)
        self._roots_title.setText("Commitments")
        self._fri.setText("")
        self._stack.setCurrentIndex(1)

    def begin_segment(self, label: str) -> None:
        """Segment ``label`` (``"segment 4 of 37"``) starts: its commitments replace the
        last segment's; the phase times go on adding up."""
        self.commitments = []
        self._roots.setRowCount(0)
        self._roots_title.setText(f"Commitments of {label}")
        self._heading.setText(f"{self.title} · proving {label}" if self.title else label)

    def commitments_title(self) -> str:
        return self._roots_title.text()

    def heading(self) -> str:
        return self._heading.text()

    def phase_finished(self, phase: str, seconds: float) -> None:
        """Phase ``phase`` took ``seconds``; added to its row when it ran before (the
        same phase of an earlier segment)."""
        names = [name for name, _ in self.timings]
        if phase in names:
            row = names.index(phase)
            self.timings[row] = (phase, self.timings[row][1] + float(seconds))
        else:
            self.timings.append((phase, float(seconds)))
        total = sum(s for _, s in self.timings) or 1.0
        self._timings.setSortingEnabled(False)
        self._timings.setRowCount(len(self.timings) + 1)
        for row, (name, secs) in enumerate(self.timings):
            set_row(self._timings, row, [name, describe_seconds(secs), f"{secs / total:6.1%}"],
                    [None, secs, secs])
        total_text = describe_seconds(sum(s for _, s in self.timings))
        set_row(self._timings, len(self.timings), ["total", total_text, ""], [None, None, None])

    def committed(self, name: str, root: bytes) -> None:
        self.commitments.append((name, bytes(root)))
        self._roots.setRowCount(len(self.commitments))
        set_row(self._roots, len(self.commitments) - 1, [name, bytes(root).hex()], [None, None])

    def mark_broken(self, index: int, why: str) -> None:
        """Commitment ``index`` (in the order read) is the one whose opening broke: its
        row says so in words and a cross, in the failure colour."""
        from workbench.views import theme
        if not 0 <= index < self._roots.rowCount():
            return
        color = theme.plot_colors()["failed"]
        for column in range(self._roots.columnCount()):
            item = self._roots.item(index, column)
            if item is not None:
                item.setForeground(QColor(color))
                item.setToolTip(why)
        name = self._roots.item(index, 0)
        if name is not None:
            name.setText(f"✘ {name.text()} (opening broken)")

    def broken_row(self) -> int | None:
        """The row marked broken, if any."""
        for row in range(self._roots.rowCount()):
            item = self._roots.item(row, 0)
            if item is not None and item.text().startswith("✘ "):
                return row
        return None

    def fri_layers(self, sizes) -> None:
        sizes = [int(s) for s in sizes]
        self._fri.setText("FRI layers: " + " → ".join(f"{s:,}" for s in sizes))

    def add_check(self, verdict: str) -> None:
        """The receipt just proved was checked: its verdict joins the heading."""
        self._heading.setText(f"{self._heading.text()}\nChecked: {verdict}")

    def finish(self, summary: str) -> None:
        self._heading.setText(f"{self.title} · {summary}" if self.title else summary)
