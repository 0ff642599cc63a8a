"""A long proof's segments as a strip of cells, one per segment, coloured by state.

It shows a ``workbench.model.segments.SegmentProgress`` (``show``): a line that sums
it up, the cells, and a legend of the states that occur. Hovering a cell tells that
segment's number, state, cycles and proving time. The window shows the strip only for
a run of more than one segment: for one, a single cell says nothing the progress bar
does not, and every proof that fits one trace keeps the window as it was.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolTip, QWidget

from workbench.model.segments import (PENDING, PROVEN, PROVING, REJECTED, STATES, STOPPED,
                                      VERIFIED, SegmentProgress)
from workbench.views import theme

#: Each state's colour, by its key in ``theme.plot_colors()``.
STATE_COLOR_KEYS = {PENDING: "muted", PROVING: "accent", PROVEN: "neutral",
                    VERIFIED: "passed", REJECTED: "failed", STOPPED: "background"}
CELL_HEIGHT = 16
GAP = 1


def state_color(state: str, colors: dict[str, object] | None = None) -> str:
    """The colour a cell of ``state`` is filled with, in the current theme."""
    colors = colors or theme.plot_colors()
    return str(colors[STATE_COLOR_KEYS[state]])


def strip_tooltip(widget: QWidget, event, item_at, text_of) -> bool:
    """Answer a ``ToolTip`` event of a strip of bars (this one, the phase timeline):
    the tooltip of the bar under the pointer, ``item_at(x)`` (None: no bar there, no
    tooltip), worded by ``text_of(item)``. Returns whether ``event`` was one."""
    if event.type() != QEvent.ToolTip:
        return False
    item = item_at(event.position().x() if hasattr(event, "position") else event.pos().x())
    if item is None:
        QToolTip.hideText()
    else:
        QToolTip.showText(event.globalPos(), text_of(item), widget)
    return True


class SegmentCells(QWidget):
    """The cells themselves: painted, one per segment, a tooltip each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("segmentCells")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.model = SegmentProgress()

    def sizeHint(self) -> QSize:
        return QSize(400, CELL_HEIGHT + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(60, CELL_HEIGHT + 2)

    def cell_rect(self, index: int) -> QRectF:
        """Where cell ``index`` is drawn (widget coordinates)."""
        count = max(self.model.count, 1)
        width = (self.width() - 2) / count
        return QRectF(1 + index * width, 1, width, CELL_HEIGHT)

    def cell_at(self, x: float) -> int | None:
        """The segment whose cell is at ``x`` (None outside the cells)."""
        count = self.model.count
        if not count or not 1 <= x < self.width() - 1:
            return None
        return min(int((x - 1) / ((self.width() - 2) / count)), count - 1)

    def tooltip(self, index: int) -> str:
        return self.model.describe(index)

    def event(self, event) -> bool:
        return strip_tooltip(self, event, self.cell_at, self.tooltip) or super().event(event)

    def paintEvent(self, _event) -> None:
        colors = theme.plot_colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing, False)
        gap = GAP if (self.width() - 2) / max(self.model.count, 1) >= 4 else 0
        outline = QPen(QColor(str(colors["foreground"])))
        outline.setWidthF(1.0)
        for segment in self.model.segments:
            rect = self.cell_rect(segment.index).adjusted(0, 0, -gap, 0)
            painter.fillRect(rect, QColor(state_color(segment.state, colors)))
            if segment.state in (PROVING, STOPPED):
                # The cell the work is at (or stopped at) is framed, so it is found
                # without telling colours apart.
                painter.setPen(outline)
                painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()


class SegmentStrip(QWidget):
    """A summary line, the segment cells and a legend; hidden until ``show`` is given a
    run of several segments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("segmentStrip")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._summary = QLabel(objectName="segmentSummary")
        self._summary.setMinimumWidth(260)
        self.cells = SegmentCells()
        self._legend = QLabel(objectName="segmentLegend")
        self._legend.setTextFormat(Qt.RichText)
        layout.addWidget(self._summary)
        layout.addWidget(self.cells, 1)
        layout.addWidget(self._legend)
        self.setVisible(False)

    def show_segments(self, model: SegmentProgress) -> None:
        """Show ``model``'s segments (visible only for more than one)."""
        self.cells.model = model
        self._summary.setText(model.summary())
        self._summary.setToolTip(model.summary())
        self._legend.setText(self._legend_html(model))
        self.setVisible(model.several)
        self.cells.update()

    def clear(self) -> None:
        self.show_segments(SegmentProgress())

    # -- what tests and scripts read -----------------------------------------------
    def cell_states(self) -> list[str]:
        return self.cells.model.states()

    def cell_color(self, index: int) -> str:
        return state_color(self.cells.model.segments[index].state)

    def cell_tooltip(self, index: int) -> str:
        return self.cells.tooltip(index)

    def summary(self) -> str:
        return self._summary.text()

    def legend(self) -> str:
        return self._legend.text()

    def _legend_html(self, model: SegmentProgress) -> str:
        """The states a strip of this kind can show (the prover's, or the verifier's)."""
        colors = theme.plot_colors()
        shown = (PENDING, VERIFIED, REJECTED) if model.verifying else \
            (PENDING, PROVING, PROVEN) + ((STOPPED,) if model.outcome else ())
        parts = []
        for state in STATES:
            if state in shown:
                # A stopped cell is an empty frame: so is its swatch.
                glyph, color = ("□", colors["foreground"]) if state == STOPPED else \
                    ("■", state_color(state, colors))
                parts.append(f"<span style='color:{color}'>{glyph}</span>&nbsp;"
                             f"{model.state_word(state)}")
        return "&nbsp;&nbsp;".join(parts)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange:
            self._legend.setText(self._legend_html(self.cells.model))
            self.cells.update()
        super().changeEvent(event)
