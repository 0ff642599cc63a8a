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

from workbench.model.queries import (FAILED, NOT_CHECKED, PASSED, PENDING, STATUS_WORDS,
                                     QuerySampling)
from workbench.model.screen import QUERIES_HINT
from workbench.model.captions import queries_caption
from workbench.views import theme
from workbench.views.elided_label import WrapLabel

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
        self._summary = WrapLabel(objectName="querySummary")
        # What a query is and why a few dozen convince, in a sentence, over the plot.
        self._caption = WrapLabel(objectName="queryCaption")
        self._caption.hide()
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self.plot)
        layout.addWidget(self._summary)
        layout.addWidget(self._caption)
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
        self._caption.hide()
        self._stack.setCurrentWidget(self._empty)

    def show_message(self, message: str) -> None:
        """The explanation shown while there is nothing to draw (the plot, when there
        is, stays)."""
        self._empty.setText(message)

    def summary(self) -> str:
        return self._summary.text()

    def caption(self) -> str:
        """The sentence over the plot: what a query is ("" while nothing is drawn)."""
        return "" if self._caption.isHidden() else self._caption.text()

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

    def finish_check(self, valid: bool, explanation=None) -> None:
        """The verification ended (``workbench.model.queries.QuerySampling.finish_check``):
        a rejection marks where it broke and the queries it never checked."""
        self.queries.finish_check(valid, explanation)
        if self.queries.drawable:
            self._redraw()

    def redraw_pending(self) -> bool:
        """Whether marks are waiting for the next turn of the event loop to be drawn."""
        return self._redraw_soon.isActive()

    def _redraw(self) -> None:
        self._redraw_soon.stop()
        queries = self.queries
        if not queries.drawable:
            return
        self._stack.setCurrentWidget(self.plot)
        self._caption.setText(queries_caption(int(queries.positions.size)))
        self._caption.show()
        self.draw_count += 1
        colors = theme.plot_colors()
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is not None:
            item.legend.clear()
            item.legend.setVisible(False)
        self.plot.setBackground(colors["background"])
        theme.style_plot_item(item, colors)
        item.showGrid(x=False, y=False)
        for i, y in enumerate(queries.layer_y()):
            broken = i == queries.broken_layer
            # The layer whose opening broke: red, dashed and labelled (not colour only).
            pen = (pg.mkPen(colors["failed"], width=5, style=Qt.DashLine) if broken
                   else pg.mkPen(colors["muted"], width=5))
            item.plot([0, 1], [y, y], pen=pen)
            if broken:
                label = pg.TextItem(queries.broken_label, color=colors["failed"],
                                    anchor=(0, 1.1))
                label.setPos(0, y)
                item.addItem(label)
        if queries.positions.size:
            paths_x, paths_y = queries.paths()
            item.plot(paths_x, paths_y, connect="finite",
                      pen=pg.mkPen(colors["foreground"], width=0.6, style=Qt.DotLine))
            marks = queries.marks()
            layer0 = marks.layer == 0
            for status, style in mark_styles(colors).items():
                chosen = marks.status == status
                if not chosen.any():
                    continue
                item.addItem(pg.ScatterPlotItem(
                    marks.x[chosen], marks.y[chosen],
                    size=np.where(layer0[chosen], style["size"], style["size"] - 3),
                    symbol=style["symbol"], pen=style["pen"], brush=style["brush"]))
            self._legend(item, colors, marks.status)
        item.getAxis("left").setTicks([queries.ticks(), []])
        item.getAxis("bottom").setTicks([[(f, f"{f:.2g}") for f in (0, 0.25, 0.5, 0.75, 1)], []])
        item.setLabel("left", "points in the layer (the LDE domain first, then each FRI fold)")
        item.setLabel("bottom", "where each query reads the layer (position ÷ layer size)")
        item.setYRange(-(len(queries.layers()) - 1) - 0.5, 0.5, padding=0.02)
        item.setXRange(0, 1, padding=0.02)
        self._summary.setText(self._describe())

    def _legend(self, item, colors, statuses) -> None:
        """A legend of the statuses shown: each with its shape and its words."""
        legend = item.legend
        if legend is None:
            # Bottom right: the top row carries the label of a layer that broke.
            legend = item.addLegend(offset=(-10, -10))
        legend.clear()
        legend.setBrush(pg.mkBrush(colors["background"]))
        legend.setPen(pg.mkPen(colors["muted"]))
        legend.setLabelTextColor(colors["foreground"])
        for status, style in mark_styles(colors).items():
            if (statuses == status).any():
                sample = pg.ScatterPlotItem(symbol=style["symbol"], pen=style["pen"],
                                            brush=style["brush"], size=style["size"])
                legend.addItem(sample, STATUS_WORDS[status])
        legend.setVisible(bool(legend.items))

    def mark_shapes(self) -> dict[int, str]:
        """The symbol each query status is drawn with (tests read it)."""
        return {status: style["symbol"] for status, style in
                mark_styles(theme.plot_colors()).items()}

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange:
            self._redraw()
        super().changeEvent(event)


def mark_styles(colors) -> dict[int, dict]:
    """Symbol, size, pen and brush of a query's mark by status: a filled circle while
    pending, a filled green circle passed, a large red cross failed, a hollow circle
    not checked. Pass and fail differ in shape, not only in colour."""
    outline = pg.mkPen(colors["foreground"], width=0.5)
    return {
        PENDING: {"symbol": "o", "size": 10, "pen": outline,
                  "brush": pg.mkBrush(colors["accent"])},
        PASSED: {"symbol": "o", "size": 10, "pen": outline,
                 "brush": pg.mkBrush(colors["passed"])},
        FAILED: {"symbol": "x", "size": 15, "pen": pg.mkPen(colors["failed"], width=1),
                 "brush": pg.mkBrush(colors["failed"])},
        NOT_CHECKED: {"symbol": "o", "size": 10,
                      "pen": pg.mkPen(colors["foreground"], width=1.2),
                      "brush": pg.mkBrush(0, 0, 0, 0)},
    }
