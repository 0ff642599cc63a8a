"""The query sampling plot: the LDE domain, the positions drawn, the FRI layers folding.

While proving, the prover's events fill it: ``show_fri_layers`` once FRI has
committed its layers, ``set_query_positions`` when Fiat–Shamir draws the positions.
While verifying, ``mark_query`` turns each position green or red as the verifier
checks it. Until then it shows what it will show. A verification reports all its
queries within milliseconds: their marks are drawn together, once the event loop
turns, rather than one redraw each (43 redraws froze the window for 3 s). What is
shown, and where each query lands in each layer, is ``workbench.model.queries``'s
``QuerySampling`` (``self.queries``); this widget draws it.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.model.queries import QuerySampling
from workbench.model.screen import QUERIES_HINT
from workbench.views import theme

EMPTY_STATE = QUERIES_HINT


class QueryPlot(QWidget):
    """LDE domain, FRI layers and query positions; an explanatory empty state before."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queryPlot")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._stack = QStackedWidget()
        self._empty = QLabel(EMPTY_STATE, wordWrap=True, alignment=Qt.AlignCenter)
        self._empty.setObjectName("queryEmptyState")
        self._empty.setMargin(24)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self._summary = QLabel(objectName="querySummary", wordWrap=True)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self.plot)
        layout.addWidget(self._summary)
        layout.addWidget(self._stack, 1)
        self._redraw_soon = QTimer(self, singleShot=True, interval=0)
        self._redraw_soon.timeout.connect(self._redraw)
        self.queries = QuerySampling()
        self.segment = ""            # which segment's queries are shown ("" for one)
        self.draw_count = 0          # how many times the plot was drawn (tests read it)
        self.reset()

    def reset(self, message: str | None = None) -> None:
        """Forget everything; show ``message`` (or the default explanation)."""
        self.queries.reset()
        self.segment = ""
        self._empty.setText(message or EMPTY_STATE)
        self._summary.setText("")
        self._stack.setCurrentWidget(self._empty)

    def show_message(self, message: str) -> None:
        """The explanation shown while there is nothing to draw (the plot, when there
        is, stays)."""
        self._empty.setText(message)

    def summary(self) -> str:
        return self._summary.text()

    def message(self) -> str:
        """The explanation shown while there is nothing to draw."""
        return self._empty.text()

    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self._empty

    def set_segment(self, label: str) -> None:
        """The layers and queries that follow are those of segment ``label``
        (``"segment 4 of 37"``; "" for a run of one segment): the summary says so."""
        self.segment = label

    def _describe(self) -> str:
        text = self.queries.describe()
        return f"{self.segment[:1].upper()}{self.segment[1:]} · {text}" if self.segment else text

    def show_domain(self, size: int) -> None:
        """The LDE domain has ``size`` points (layer 0 of FRI)."""
        self.queries.show_domain(size)
        self._redraw()

    def show_fri_layers(self, sizes) -> None:
        """FRI committed layers of these sizes (the first is the LDE domain)."""
        self.queries.show_fri_layers(sizes)
        self._redraw()

    def set_query_positions(self, positions, domain_size: int) -> None:
        """The query positions drawn in the LDE domain of ``domain_size`` points, all
        pending (they replace any shown before)."""
        self.queries.set_positions(positions, domain_size)
        self._redraw()

    def mark_query(self, index: int, passed: bool) -> None:
        """The verifier checked query ``index``: green if it passed, red if not."""
        if self.queries.mark(index, passed):
            self._summary.setText(self._describe())
            self._redraw_soon.start()

    def redraw_pending(self) -> bool:
        """Whether marks are waiting for the next turn of the event loop to be drawn."""
        return self._redraw_soon.isActive()

    def _redraw(self) -> None:
        self._redraw_soon.stop()
        queries = self.queries
        if not queries.drawable:
            return
        self._stack.setCurrentWidget(self.plot)
        self.draw_count += 1
        colors = theme.plot_colors()
        item = self.plot.getPlotItem()
        item.clear()
        self.plot.setBackground(colors["background"])
        theme.style_plot_item(item, colors)
        item.showGrid(x=False, y=False)
        for y in queries.layer_y():
            item.plot([0, 1], [y, y], pen=pg.mkPen(colors["muted"], width=5))
        if queries.positions.size:
            paths_x, paths_y = queries.paths()
            item.plot(paths_x, paths_y, connect="finite",
                      pen=pg.mkPen(colors["foreground"], width=0.6, style=Qt.DotLine))
            brushes = [pg.mkBrush(colors[key]) for key in ("accent", "passed", "failed")]
            marks = queries.marks()
            item.addItem(pg.ScatterPlotItem(
                marks.x, marks.y, size=np.where(marks.layer == 0, 10, 7),
                pen=pg.mkPen(colors["foreground"], width=0.5),
                brush=[brushes[s] for s in marks.status]))
        item.getAxis("left").setTicks([queries.ticks(), []])
        item.getAxis("bottom").setTicks([[(f, f"{f:.2g}") for f in (0, 0.25, 0.5, 0.75, 1)], []])
        item.setLabel("left", "layer size (LDE domain first)")
        item.setLabel("bottom", "position / layer size")
        item.setYRange(-(len(queries.layers()) - 1) - 0.5, 0.5, padding=0.02)
        item.setXRange(0, 1, padding=0.02)
        self._summary.setText(self._describe())

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange:
            self._redraw()
        super().changeEvent(event)
