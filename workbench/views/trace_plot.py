"""The trace plot: pc over cycles, a register, RAM addresses, opcode classes, any column.

Shows a ``workbench.model.trace_data.TraceView``. Long series are drawn as a min/max
envelope of what is in view (``workbench.model.lod``), recomputed as the user zooms and pans,
so every spike stays visible and zooming in brings back single cycles; scatter plots
keep at most ``MAX_SCATTER_POINTS`` points. Clicking the plot picks a cycle: ``cycleSelected``
tells the window, which shows the disassembly at that cycle's pc.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QStackedWidget,
                               QVBoxLayout, QWidget)

from workbench.model.captions import TRACE_CAPTIONS
from workbench.model.formatting import ordinal
from workbench.model.lod import envelope
from workbench.model.trace_data import (OPCODE_CLASSES, REGISTER_NAMES, TraceView,
                                        class_totals, memory_accesses, register_series)
from workbench.views import theme
from workbench.views.elided_label import WrapLabel

PC, REGISTER, MEMORY, CLASSES, COLUMN = "pc", "register", "memory", "classes", "column"
SOURCES = {"execution": "Execution trace", "proof": "Committed trace"}
VIEWS = ((PC, "pc over cycles"), (REGISTER, "register value"), (MEMORY, "RAM addresses"),
         (CLASSES, "opcode classes (heatmap)"), (COLUMN, "trace column"))


class CountAxis(pg.AxisItem):
    """An axis of counts (cycles, values) with thousands separators: "100,000"."""

    def tickStrings(self, values, scale, spacing):
        if spacing < 1:
            return super().tickStrings(values, scale, spacing)
        return [f"{v:,.0f}" for v in values]


class HexAxis(CountAxis):
    """An axis labelled in hexadecimal (addresses, pcs) while ``hexadecimal`` is set,
    each pc followed by the function it lies in when ``functions`` are known."""

    hexadecimal = False
    #: ``(starts, ends, names)`` of the program's functions, sorted by start.
    functions: tuple = ((), (), ())

    def tickStrings(self, values, scale, spacing):
        if not self.hexadecimal:
            return super().tickStrings(values, scale, spacing)
        return [pc_label(int(v), self.functions) if v >= 0 else "" for v in values]


def function_table(symbols) -> tuple:
    """``(starts, ends, names)`` of the sized symbols, sorted by start."""
    sized = sorted((s.address, s.address + s.size, s.name) for s in symbols if s.size > 0)
    return (tuple(a for a, _, _ in sized), tuple(b for _, b, _ in sized),
            tuple(n for _, _, n in sized))


def pc_label(pc: int, functions: tuple) -> str:
    """``"0x1057c memcpy"``: the pc and the function it lies in (just the pc outside
    every function)."""
    import bisect
    starts, ends, names = functions
    i = bisect.bisect_right(starts, pc) - 1
    if 0 <= i < len(starts) and pc < ends[i]:
        name = names[i] if len(names[i]) <= 18 else names[i][:17] + "…"
        return f"0x{pc:x} {name}"
    return f"0x{pc:x}"


class EnvelopeCurve:
    """A curve that shows the min/max envelope of its series for the visible x range."""

    def __init__(self, item, y, x=None, pen=None, step: bool = False) -> None:
        self.y, self.x, self.step = y, x, step
        self.view_box = item.getViewBox()
        self.curve = item.plot([], [], pen=pen)
        self.exact = True
        self._timer = QTimer(singleShot=True, interval=30)
        self._timer.timeout.connect(self.update)
        self.view_box.sigXRangeChanged.connect(self._timer.start)
        self.update(whole=True)

    def update(self, whole: bool = False) -> None:
        x_min, x_max = (None, None) if whole else self.view_box.viewRange()[0]
        xs, ys, self.exact = envelope(self.y, self.x, x_min, x_max)
        step = "left" if self.step and self.exact else None
        self.curve.setData(xs, ys, stepMode=step)

    def detach(self) -> None:
        self._timer.stop()
        try:
            self.view_box.sigXRangeChanged.disconnect(self._timer.start)
        except (RuntimeError, TypeError):
            pass


class TracePlot(QWidget):
    """Trace columns chosen by the user, or an explanatory empty state."""

    cycleSelected = Signal(int, int)   # cycle, pc at that cycle (-1 when unknown)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tracePlot")
        self.view: TraceView | None = None
        self._cursor = None
        self._curves: list[EnvelopeCurve] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        self.views: dict[str, TraceView] = {}
        self._source = QComboBox(objectName="traceSource")
        self._source.setToolTip("The executor's trace, or the trace the proof committed "
                                "(the machine AIR's columns, padding and random rows "
                                "included)")
        self._source.setVisible(False)
        self._source.currentIndexChanged.connect(self._on_source_chosen)
        self._kind = QComboBox(objectName="traceViewKind")
        for key, label in VIEWS:
            self._kind.addItem(label, key)
        self._register = QComboBox(objectName="traceRegister")
        for i, name in enumerate(REGISTER_NAMES):
            self._register.addItem(f"x{i} ({name})", i)
        self._register.setCurrentIndex(10)  # a0: arguments and return values
        self._column = QComboBox(objectName="traceColumn")
        # What the plot shows, in a sentence, and its figures: each on its own lines,
        # wrapped, never cut off.
        self._caption = WrapLabel(objectName="traceCaption")
        self._info = WrapLabel(objectName="traceInfo")
        controls.addWidget(self._source)
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self._kind)
        controls.addWidget(self._register)
        controls.addWidget(self._column)
        controls.addStretch(1)
        layout.addLayout(controls)
        layout.addWidget(self._caption)
        layout.addWidget(self._info)
        self._colorbar = None
        self._stack = QStackedWidget()
        self._empty = QLabel(wordWrap=True, alignment=Qt.AlignCenter)
        self._empty.setObjectName("traceEmptyState")
        self._empty.setMargin(24)
        self._y_axis = HexAxis("left")
        self._y_axis.enableAutoSIPrefix(False)
        self.plot = pg.PlotWidget(axisItems={"left": self._y_axis,
                                             "bottom": CountAxis("bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self.plot)
        layout.addWidget(self._stack, 1)
        for combo in (self._kind, self._register, self._column):
            combo.currentIndexChanged.connect(self._redraw)
        self.show_message("Execute the program to see its trace: pc over cycles, register "
                          "values, RAM addresses and a heatmap of opcode classes.")

    # -- what the window calls ------------------------------------------------------
    def set_program(self, program) -> None:
        """Name the pc axis' ticks after ``program``'s functions (ELF symbols)."""
        self._y_axis.functions = function_table(program.symbols) if program else ((), (), ())
        self._y_axis.picture = None

    def pc_tick_labels(self, values) -> list[str]:
        """The pc axis' labels for pcs ``values`` (tests read them)."""
        return [pc_label(int(v), self._y_axis.functions) for v in values]

    def set_trace(self, view: TraceView) -> None:
        """Show ``view``, keeping the user's choice of plot when it still applies.

        Views are kept by source (``execution``, ``proof``): after a proof both the
        executor's trace and the committed trace can be looked at.
        """
        self.views[view.source] = view
        self._source.blockSignals(True)
        self._source.clear()
        for source, shown in self.views.items():
            label = SOURCES.get(source, source)
            self._source.addItem(f"{label} ({shown.segment})" if shown.segment else label,
                                 source)
        self._source.setCurrentIndex(self._source.findData(view.source))
        self._source.setVisible(len(self.views) > 1)
        self._source.blockSignals(False)
        self._show_view(view)

    def _on_source_chosen(self) -> None:
        view = self.views.get(self._source.currentData())
        if view is not None:
            self._show_view(view)

    def _show_view(self, view: TraceView) -> None:
        self.view = view
        self._column.blockSignals(True)
        previous = self._column.currentText()
        self._column.clear()
        self._column.addItems(view.names)
        if previous in view.columns:
            self._column.setCurrentText(previous)
        self._column.blockSignals(False)
        available = self.available_kinds()
        if available and self.kind() not in available:
            self._kind.blockSignals(True)
            self._kind.setCurrentIndex(self._kind.findData(available[0]))
            self._kind.blockSignals(False)
        self._redraw()

    def show_message(self, text: str) -> None:
        """Replace the plot by an explanatory message (no trace, running, too long);
        forgets the traces shown before."""
        self.view = None
        self.views = {}
        self._source.setVisible(False)
        self._empty.setText(text)
        self._info.setText("")
        self._stack.setCurrentWidget(self._empty)
        self._update_controls()

    def message(self) -> str:
        return self._empty.text() if self._stack.currentWidget() is self._empty else ""

    def caption(self) -> str:
        """The sentence above the plot: what it shows."""
        return self._caption.text()

    def has_color_scale(self) -> bool:
        """Whether a colour scale is drawn beside the plot (the heatmap's)."""
        return self._colorbar is not None and self._colorbar.scene() is not None

    def info(self) -> str:
        """The line beside the controls: which trace, its rows, what the plot leaves out."""
        return self._info.text()

    def show_source(self, source: str) -> bool:
        """Show the trace of ``source`` (``execution`` or ``proof``), as the selector does;
        False when there is none."""
        index = self._source.findData(source)
        if index < 0:
            return False
        self._source.setCurrentIndex(index)
        return True

    def set_kind(self, key: str, register: int | None = None, column: str | None = None) -> None:
        """Choose the plot (one of ``PC``, ``REGISTER``, ``MEMORY``, ``CLASSES``, ``COLUMN``)."""
        if register is not None:
            self._register.setCurrentIndex(register)
        if column is not None:
            self._column.setCurrentText(column)
        self._kind.setCurrentIndex(self._kind.findData(key))

    def kind(self) -> str:
        return self._kind.currentData()

    def available_kinds(self) -> list[str]:
        """The plots the current trace supports."""
        if self.view is None:
            return []
        cols = self.view.columns
        ok = {PC: self.view.pc is not None, REGISTER: self.view.has("mask", "s3_addr", "s3_val"),
              MEMORY: self.view.has("mask", "s2_addr"), CLASSES: self.view.op_class is not None,
              COLUMN: bool(cols)}
        return [key for key, _ in VIEWS if ok[key]]

    def plot_items(self) -> list:
        return self.plot.getPlotItem().listDataItems()

    # -- drawing --------------------------------------------------------------------
    def _redraw(self) -> None:
        self._update_controls()
        if self.view is None:
            return
        kind = self.kind()
        if kind not in self.available_kinds():
            self._empty.setText(f"This trace has no data for “{self._kind.currentText()}”.")
            self._stack.setCurrentWidget(self._empty)
            return
        self._stack.setCurrentWidget(self.plot)
        item = self.plot.getPlotItem()
        for curve in self._curves:
            curve.detach()
        self._curves = []
        item.clear()
        self._cursor = None
        if self._colorbar is not None:
            item.layout.removeItem(self._colorbar)
            self.plot.scene().removeItem(self._colorbar)
            self._colorbar = None
        if item.legend is not None:
            item.legend.setVisible(kind == MEMORY)
        self._caption.setText(TRACE_CAPTIONS.get(kind, ""))
        colors = theme.plot_colors()
        self.plot.setBackground(colors["background"])
        theme.style_plot_item(item, colors)
        draw = {PC: self._draw_pc, REGISTER: self._draw_register, MEMORY: self._draw_memory,
                CLASSES: self._draw_classes, COLUMN: self._draw_column}[kind]
        item.enableAutoRange()
        draw(item, colors)
        self._info.setToolTip(self._info.text())
        item.setLabel("bottom", "cycle")

    def _draw_line(self, item, y, colors, label: str, hex_axis: bool) -> None:
        n = self.view.rows
        self._curves.append(EnvelopeCurve(item, y, pen=pg.mkPen(colors["series"][0], width=1)))
        self._hex(hex_axis)
        item.setLabel("left", label)
        what = f"{n:,} cycles"
        if 0 < self.view.random_rows < n:
            # The last rows of a committed trace are random field elements (zero
            # knowledge); frame the rows that hold the run so it is not a flat line.
            kept = y[:n - self.view.random_rows]
            low, high = float(kept.min()), float(kept.max())
            pad = max((high - low) * 0.05, 1.0)
            item.setYRange(low - pad, high + pad, padding=0)
            item.enableAutoRange(y=False)
        if self.view.source != "execution":
            of = f" of {self.view.segment}" if self.view.segment else ""
            what = (f"committed trace{of}: {n:,} rows, the last {self.view.random_rows} "
                    "random (zero knowledge; outside the y range)")
        self._info.setText(what + ("" if self._curves[-1].exact else
                                   " · min/max per pixel column until zoomed in"))

    def _draw_pc(self, item, colors) -> None:
        self._draw_line(item, self.view.pc, colors, "pc", True)

    def _draw_column(self, item, colors) -> None:
        name = self._column.currentText()
        hex_axis = name in ("pc", "next_pc", "insn", "cpu.pc") or name.endswith("_addr")
        self._draw_line(item, self.view.columns[name], colors, name, hex_axis)

    def _draw_register(self, item, colors) -> None:
        reg = self._register.currentIndex()
        cycles, values = register_series(self.view, reg)
        x = np.append(cycles, self.view.rows)
        y = np.append(values, values[-1])
        self._curves.append(EnvelopeCurve(item, y, x, pen=pg.mkPen(colors["series"][0], width=1),
                                          step=True))
        self._hex(reg in (1, 2, 3, 4))   # ra, sp, gp, tp hold addresses
        item.setLabel("left", f"x{reg} ({REGISTER_NAMES[reg]})")
        if len(values) > 1:
            # The value before the first write (0, or sp's initial top of memory) would
            # squash every written value into one line: frame the written ones.
            written = values[1:].astype(np.float64)
            low, high = float(written.min()), float(written.max())
            pad = max((high - low) * 0.05, 1.0)
            item.setYRange(low - pad, high + pad, padding=0)
            item.enableAutoRange(y=False)
        self._info.setText(f"{len(cycles) - 1:,} writes to x{reg} in {self.view.rows:,} cycles")

    def _draw_memory(self, item, colors) -> None:
        cycles, addresses, is_store, stride = memory_accesses(self.view)
        legend = item.addLegend(offset=(-10, 10))
        # addLegend returns the legend made by an earlier draw as it was: colour it for
        # the theme now in use (it stayed white after a switch to the dark theme).
        legend.setBrush(pg.mkBrush(colors["background"]))
        legend.setPen(pg.mkPen(colors["muted"]))
        legend.setLabelTextColor(colors["foreground"])
        legend.setVisible(True)
        for mask, name, color in ((~is_store, "load", colors["series"][0]),
                                  (is_store, "store", colors["series"][1])):
            scatter = pg.ScatterPlotItem(cycles[mask], addresses[mask], size=3, pen=None,
                                         brush=pg.mkBrush(color), name=name)
            item.addItem(scatter)
        self._hex(True)
        item.setLabel("left", "byte address")
        shown = f"every {ordinal(stride)} access" if stride > 1 else "every access"
        self._info.setText(f"{len(cycles):,} RAM accesses shown ({shown})")

    def _draw_classes(self, item, colors) -> None:
        heat = self.view.heatmap
        image = pg.ImageItem(heat, axisOrder="row-major")
        image.setColorMap(pg.colormap.get("viridis"))
        brightest = max(float(heat.max()), 0.05)
        image.setLevels((0.0, brightest))
        image.setRect(0, 0, self.view.rows, len(OPCODE_CLASSES))
        item.addItem(image)
        # The colour scale: a cell's colour is the share of its slice's cycles.
        self._colorbar = pg.ColorBarItem(values=(0.0, brightest), colorMap="viridis",
                                         interactive=False, width=14)
        self._colorbar.setImageItem(image, insert_in=item)
        scale = self._colorbar.axis
        scale.enableAutoSIPrefix(False)
        scale.tickStrings = lambda values, _scale, _spacing: [f"{v:.0%}" for v in values]
        scale.setTextPen(colors["foreground"])
        scale.setPen(colors["foreground"])
        scale.setLabel("share of the slice's cycles", color=colors["foreground"])
        item.showGrid(x=False, y=False)
        self._hex(False)
        ticks = [(i + 0.5, name) for i, name in enumerate(OPCODE_CLASSES)]
        self._y_axis.setTicks([ticks, []])
        item.setLabel("left", "")
        totals = class_totals(self.view)
        top = np.argsort(totals)[::-1][:3]
        share = ", ".join(f"{OPCODE_CLASSES[i]} {totals[i] / max(self.view.rows, 1):.0%}"
                          for i in top if totals[i])
        self._info.setText(f"share of each {max(self.view.rows // heat.shape[1], 1):,}-cycle "
                           f"bin by class (brightest = {brightest:.0%}) · overall: {share}")

    def _hex(self, on: bool) -> None:
        self._y_axis.hexadecimal = on
        self._y_axis.setTicks(None)

    def _update_controls(self) -> None:
        kind = self.kind()
        self._register.setVisible(kind == REGISTER)
        self._column.setVisible(kind == COLUMN)

    def _on_click(self, event) -> None:
        if self.view is None or self._stack.currentWidget() is not self.plot:
            return
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        x = vb.mapSceneToView(event.scenePos()).x()
        self.select_cycle(int(min(max(x, 0), self.view.rows - 1)))

    def select_cycle(self, cycle: int) -> None:
        """Mark ``cycle`` with a cursor and emit ``cycleSelected`` with its pc."""
        if self.view is None or not 0 <= cycle < self.view.rows:
            return
        item = self.plot.getPlotItem()
        if self._cursor is None:
            self._cursor = pg.InfiniteLine(angle=90, movable=False,
                                           pen=pg.mkPen(theme.plot_colors()["accent"], width=1))
            item.addItem(self._cursor, ignoreBounds=True)
        self._cursor.setPos(cycle)
        pc = int(self.view.pc[cycle]) if self.view.pc is not None else -1
        self.cycleSelected.emit(cycle, pc)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.PaletteChange and self.view is not None:
            self._redraw()
        super().changeEvent(event)
