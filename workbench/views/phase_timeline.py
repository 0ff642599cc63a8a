"""The running task's phases as a strip of bars that grows as the task runs.

It shows a ``workbench.model.timeline.PhaseTimeline`` (``show_timeline``): one bar per
phase, in the order they ran, each as long as the phase took on a common time scale,
named with the phase's short label and its seconds where that fits, and a tooltip in
a person's words. A proof in several segments has one bar per segment, divided into
its phases' colours. The bar of the phase running now has a frame, a stopped one is
an empty frame, so neither is told by colour alone.

The scale: the strip's width is the task's time so far or, during a proof with an
estimate of its length (``workbench.model.estimates``), the time it is expected to
take, so the bars grow from the left instead of rescaling at every tick.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from workbench.model.timeline import RUNNING, STOPPED, PhaseTimeline, Span
from workbench.views import theme
from workbench.views.segment_strip import strip_tooltip

BAR_HEIGHT = 18
GAP = 1
#: Each phase's colour, by its key in ``theme.plot_colors()`` (``("series", i)`` for a
#: series colour); neighbouring phases differ. Others are ``muted``.
PHASE_COLOR_KEYS = {
    "execute": "neutral", "execute untraced": "neutral", "stage0": ("series", 4),
    "global challenges": "accent", "witness": ("series", 2), "check": ("series", 3),
    "preprocessed": ("series", 1), "commit main": ("series", 0), "logup": ("series", 2),
    "quotient": ("series", 1), "open": ("series", 4), "fri": ("series", 3),
    "verify receipt": "accent", "constraints": ("series", 1),
}


def phase_color(phase: str, colors: dict[str, object] | None = None) -> str:
    """The colour of ``phase``'s bar in the current theme."""
    colors = colors or theme.plot_colors()
    key = PHASE_COLOR_KEYS.get(phase, "muted")
    if isinstance(key, tuple):
        return str(colors[key[0]][key[1]])
    return str(colors[key])


class TimelineBars(QWidget):
    """The bars themselves: painted, a tooltip each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBars")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.model = PhaseTimeline()
        self.now = 0.0
        self.horizon: float | None = None

    def sizeHint(self) -> QSize:
        return QSize(400, BAR_HEIGHT + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(60, BAR_HEIGHT + 2)

    def scale(self) -> float:
        """Pixels per second: the strip holds the task's time so far, or its expected
        length when that is longer."""
        extent = max(self.model.extent(self.now), self.horizon or 0.0, 1e-3)
        return (self.width() - 2) / extent

    def bar_rect(self, span: Span) -> QRectF:
        """Where ``span``'s bar is drawn (widget coordinates; a child of a segment's
        bar is drawn inside it)."""
        scale, elapsed = self.scale(), self.model.elapsed(self.now)
        return QRectF(1 + span.start * scale, 1, span.length(elapsed) * scale, BAR_HEIGHT)

    def span_at(self, x: float) -> Span | None:
        """The top-level span whose bar is at ``x`` (None between or beyond them)."""
        for span in self.model.spans:
            rect = self.bar_rect(span)
            if rect.left() <= x < max(rect.right(), rect.left() + 1):
                return span
        return None

    def text_of(self, span: Span) -> str:
        """What ``span``'s bar says: its label and seconds, its label alone, or nothing,
        whichever fits."""
        width = self.bar_rect(span).width() - 6
        metrics = QFontMetrics(self.font())
        for text in (self.model.bar_text(span, self.now), self.model.short_label(span)):
            if metrics.horizontalAdvance(text) <= width:
                return text
        return ""

    def tooltip(self, span: Span) -> str:
        return self.model.describe(span, self.now)

    def event(self, event) -> bool:
        return strip_tooltip(self, event, self.span_at, self.tooltip) or super().event(event)

    def paintEvent(self, _event) -> None:
        colors = theme.plot_colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing, False)
        outline = QPen(QColor(str(colors["foreground"])))
        outline.setWidthF(1.0)
        window = self.palette().color(QPalette.Window)
        for span in self.model.spans:
            rect = self.bar_rect(span)
            if rect.width() >= 2:
                rect = rect.adjusted(0, 0, -GAP, 0)
            if rect.width() < 0.5:
                continue
            if span.state == STOPPED:
                painter.fillRect(rect, window)
            elif span.is_segment:
                painter.fillRect(rect, QColor(str(colors["muted"])))
                for child in span.children:
                    inner = self.bar_rect(child).intersected(rect)
                    if inner.width() > 0:
                        painter.fillRect(inner, QColor(phase_color(child.phase, colors)))
            else:
                painter.fillRect(rect, QColor(phase_color(span.phase, colors)))
            if span.state in (RUNNING, STOPPED):
                painter.setPen(outline)
                painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            text = self.text_of(span)
            if text:
                self._draw_label(painter, rect, text, span, colors, window)
        painter.end()

    def _draw_label(self, painter, rect: QRectF, text: str, span: Span, colors,
                    window: QColor) -> None:
        if span.is_segment or span.state == STOPPED:
            # Over several colours (or none) the text sits on the window's colour.
            metrics = QFontMetrics(self.font())
            box = QRectF(rect.left() + 2, rect.top() + 2,
                         metrics.horizontalAdvance(text) + 4, rect.height() - 4)
            painter.fillRect(box, window)
            painter.setPen(self.palette().color(QPalette.WindowText))
            painter.drawText(box, Qt.AlignCenter, text)
            return
        fill = QColor(phase_color(span.phase, colors))
        painter.setPen(QColor("#000000") if fill.lightness() > 140 else QColor("#ffffff"))
        painter.drawText(rect.adjusted(3, 0, -3, 0), Qt.AlignVCenter | Qt.AlignLeft, text)


class PhaseTimelineStrip(QWidget):
    """A caption and the bars; hidden while the timeline has no phase."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("phaseTimeline")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._caption = QLabel("Phases", objectName="timelineCaption")
        self._caption.setToolTip("Each phase of the task as it ran: the longer the bar, the "
                                 "longer it took. Hover a bar for its phase and time.")
        self.bars = TimelineBars()
        layout.addWidget(self._caption)
        layout.addWidget(self.bars, 1)
        self.setVisible(False)

    def show_timeline(self, model: PhaseTimeline, now: float,
                      horizon: float | None = None) -> None:
        """Show ``model`` at ``now`` (``horizon``: the task's expected length in
        seconds, when known); visible once it has a phase."""
        self.bars.model, self.bars.now, self.bars.horizon = model, now, horizon
        self.setVisible(bool(model.spans))
        self.bars.update()

    def clear(self) -> None:
        self.show_timeline(PhaseTimeline(), 0.0)

    # -- what tests and scripts read -----------------------------------------------
    def phases(self) -> list[str]:
        return self.bars.model.phases()

    def bar_texts(self) -> list[str]:
        return [self.bars.text_of(span) for span in self.bars.model.spans]

    def bar_widths(self) -> list[float]:
        return [self.bars.bar_rect(span).width() for span in self.bars.model.spans]

    def bar_color(self, index: int) -> str:
        return phase_color(self.bars.model.spans[index].phase)

    def bar_tooltip(self, index: int) -> str:
        return self.bars.tooltip(self.bars.model.spans[index])

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange:
            self.bars.update()
        super().changeEvent(event)
