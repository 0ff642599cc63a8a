"""The query sampling plot: the LDE domain, the positions drawn, the FRI layers folding.

While proving, the prover's events fill it: ``show_domain`` once the trace is
extended, ``show_fri_layers`` as FRI commits its layers, ``add_query_positions`` as
Fiat–Shamir draws the positions. While verifying, ``mark_query`` turns each position
green or red as the verifier checks it. Until then it shows what it will show.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench import theme

EMPTY_STATE = (
    "<h3>Query sampling</h3>"
    "<p>While a proof is made, this shows the <b>low-degree extension domain</b> "
    "(4 × the trace height points), the <b>query positions</b> as Fiat–Shamir draws "
    "them, and the <b>FRI layers</b> halving as they fold.</p>"
    "<p>When a receipt is verified, each query turns <span style='color:#1c9a3e'>green"
    "</span> or <span style='color:#d02a2a'>red</span> as it is checked.</p>"
    "<p><i>Proving is not available in this build yet: Execute shows the trace.</i></p>")

PENDING, PASSED, FAILED = 0, 1, 2


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
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self.plot)
        layout.addWidget(self._stack)
        self.reset()

    def reset(self, message: str | None = None) -> None:
        """Forget everything; show ``message`` (or the default explanation)."""
        self.domain_size = 0
        self.layer_sizes: list[int] = []
        self.positions = np.zeros(0, dtype=np.int64)
        self.status = np.zeros(0, dtype=np.int8)
        self._empty.setText(message or EMPTY_STATE)
        self._stack.setCurrentWidget(self._empty)

    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self._empty

    def show_domain(self, size: int) -> None:
        """The LDE domain has ``size`` points (layer 0 of FRI)."""
        self.domain_size = int(size)
        if not self.layer_sizes:
            self.layer_sizes = [self.domain_size]
        self._redraw()

    def show_fri_layers(self, sizes) -> None:
        """FRI committed layers of these sizes (the first is the LDE domain)."""
        self.layer_sizes = [int(s) for s in sizes]
        if self.layer_sizes and not self.domain_size:
            self.domain_size = self.layer_sizes[0]
        self._redraw()

    def add_query_positions(self, positions) -> None:
        """Query positions drawn in the LDE domain (indices in ``[0, domain_size)``)."""
        new = np.asarray(positions, dtype=np.int64).ravel()
        self.positions = np.concatenate((self.positions, new))
        self.status = np.concatenate((self.status, np.zeros(new.shape[0], dtype=np.int8)))
        self._redraw()

    def mark_query(self, index: int, passed: bool) -> None:
        """The verifier checked query ``index``: green if it passed, red if not."""
        if 0 <= index < self.status.shape[0]:
            self.status[index] = PASSED if passed else FAILED
            self._redraw()

    def _redraw(self) -> None:
        if not self.domain_size:
            return
        self._stack.setCurrentWidget(self.plot)
        colors = theme.plot_colors()
        item = self.plot.getPlotItem()
        item.clear()
        self.plot.setBackground(colors["background"])
        theme.style_plot_item(item, colors)
        size0 = self.domain_size
        # Layer i is drawn at height -i over [0, size_i); a position p of layer 0 is
        # shown in layer i at its folded image p mod size_i.
        for i, size in enumerate(self.layer_sizes):
            item.plot([0, size], [-i, -i], pen=pg.mkPen(colors["muted"], width=6))
        if self.positions.size:
            brushes = [pg.mkBrush(colors[key]) for key in ("accent", "passed", "failed")]
            for i, size in enumerate(self.layer_sizes):
                folded = self.positions % max(size, 1)
                item.addItem(pg.ScatterPlotItem(
                    folded, np.full(folded.shape, -i), size=9 if i == 0 else 6,
                    pen=pg.mkPen(colors["foreground"], width=0.5),
                    brush=[brushes[s] for s in self.status]))
        ticks = [(-i, f"{size:,}") for i, size in enumerate(self.layer_sizes)]
        item.getAxis("left").setTicks([ticks, []])
        item.setLabel("left", "FRI layer (size)")
        item.setLabel("bottom", "position in the LDE domain")
        item.setYRange(-max(len(self.layer_sizes) - 1, 0) - 0.5, 0.5)
        item.setXRange(0, size0)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange:
            self._redraw()
        super().changeEvent(event)
