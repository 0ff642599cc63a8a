"""The profile: cycles by function, as a sortable table and a bar chart of the top ones."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from workbench.model.formatting import describe_share
from workbench.model.profile import FunctionCycles
from workbench.views import theme
from workbench.views.tables import make_table, set_row

TOP_BARS = 12


class ProfilePanel(QWidget):
    """Where the cycles went. Double-clicking a function emits ``functionActivated``."""

    functionActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilePanel")
        self.lines: list[FunctionCycles] = []
        #: The share written at the end of each bar of the chart.
        self.bar_labels: list[str] = []
        self.total = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._summary = QLabel()
        layout.addWidget(self._summary)
        self._stack = QStackedWidget()
        self._empty = QLabel(wordWrap=True, alignment=Qt.AlignCenter)
        self._empty.setMargin(24)
        splitter = QSplitter(Qt.Horizontal)
        self.table = make_table(["Function", "Address", "Cycles", "Share"],
                                QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.table.setObjectName("profileTable")
        self.table.setSortingEnabled(True)
        self.table.cellDoubleClicked.connect(self._on_activated)
        self.table.setToolTip("Double-click a function to see its disassembly")
        self.chart = pg.PlotWidget(objectName="profileChart")
        self.chart.setMenuEnabled(False)
        self.chart.setMouseEnabled(x=False, y=False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([420, 420])
        self._stack.addWidget(self._empty)
        self._stack.addWidget(splitter)
        layout.addWidget(self._stack, 1)
        self.show_message("Execute the program to see where its cycles go, function by "
                          "function (from the ELF's symbols).")

    def show_message(self, text: str) -> None:
        self.lines, self.total = [], 0
        self._empty.setText(text)
        self._summary.setText("")
        self._stack.setCurrentWidget(self._empty)

    def message(self) -> str:
        return self._empty.text() if self._stack.currentWidget() is self._empty else ""

    def show_profile(self, lines: list[FunctionCycles]) -> None:
        self.lines = list(lines)
        self.total = sum(line.cycles for line in lines)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            name = line.name + (f"  ({', '.join(line.aliases)})" if line.aliases else "")
            address = f"0x{line.address:08x}" if line.address >= 0 else "–"
            set_row(self.table, row, [name, address, f"{line.cycles:,}",
                                      describe_share(line.cycles, self.total)],
                    [None, line.address, line.cycles, line.cycles])
        self.table.setSortingEnabled(True)
        self.table.sortItems(2, Qt.DescendingOrder)
        self._summary.setText(f"{self.total:,} cycles in {len(lines)} functions")
        self._stack.setCurrentIndex(1)
        self._draw_chart()

    def _draw_chart(self) -> None:
        item = self.chart.getPlotItem()
        item.clear()
        if not self.lines:
            return
        colors = theme.plot_colors()
        self.chart.setBackground(colors["background"])
        theme.style_plot_item(item, colors)
        top = self.lines[:TOP_BARS]
        y = np.arange(len(top))[::-1]
        share = np.array([line.cycles for line in top], dtype=np.float64) / max(self.total, 1)
        item.addItem(pg.BarGraphItem(x0=0, y=y, height=0.7, width=share * 100,
                                     brush=colors["series"][0], pen=None))
        item.getAxis("left").setTicks([[(int(yy), line.name[:24]) for yy, line in zip(y, top)], []])
        # Each bar says its share at its end (labelled bars, not only a grid to read).
        self.bar_labels = []
        for yy, line, fraction in zip(y, top, share):
            text = describe_share(line.cycles, self.total)
            label = pg.TextItem(text, color=colors["foreground"], anchor=(0, 0.5))
            label.setPos(float(fraction) * 100, float(yy))
            item.addItem(label)
            self.bar_labels.append(text)
        item.setLabel("bottom", "% of cycles")
        item.showGrid(x=True, y=False, alpha=colors["grid"] / 255)
        item.setXRange(0, max(float(share.max()) * 100, 1) * 1.15, padding=0)
        item.setYRange(-0.6, len(top) - 0.4, padding=0)

    def _on_activated(self, row: int, _column: int) -> None:
        address = self.table.item(row, 1).data(Qt.UserRole)
        if address is not None and address >= 0:
            self.functionActivated.emit(int(address))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange:
            self._draw_chart()
        super().changeEvent(event)
