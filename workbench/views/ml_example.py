"""The "private digit classification" example (docs/ml.md, docs/workbench.md).

Loads the ``digits_mlp`` guest with the bundled model, lets the user draw a digit on
an 8x8 canvas or pick one from the bundled data set, keeps the private input at
``blob || image bytes``, and shows the claim a digit guest's journal makes (model
digest, image, class, scores) after Execute, Prove and Verify. The panel is a tab of
the main window that appears when the example is opened, or when any journal turns
out to be a digit classifier's.
"""
from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QPainter
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.codec import DecodeError
from engine.ml import MlClaim, decode_journal, image_bytes, load_digits, read_model
from engine.ml.dataset import models_dir
from engine.runtime.resources import guest_path
from workbench.model.formatting import group_hex
from workbench.views import theme
from workbench.views.trace_plot import CountAxis

GUEST = "digits_mlp"
SIDE = 8
PIXEL_MAX = 16
TAB_TITLE = "Digits"


def model_path() -> str:
    return os.path.join(models_dir(), "digits_mlp.bin")


class DigitCanvas(QWidget):
    """An 8x8 image of pixels 0..16. Click or drag with the left button to ink (full
    ink, 16), with the right button to erase; read-only canvases only show."""

    imageChanged = Signal()

    def __init__(self, editable: bool = True, cell: int = 28,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = np.zeros((SIDE, SIDE), dtype=np.uint8)
        self._editable = editable
        self.setFixedSize(cell * SIDE + 1, cell * SIDE + 1)
        if editable:
            self.setCursor(Qt.CrossCursor)
            self.setToolTip("Left-click or drag to ink, right-click to erase")

    def image(self) -> np.ndarray:
        """A copy of the pixels: uint8, shape (8, 8), values 0..16."""
        return self._image.copy()

    def set_image(self, image) -> None:
        """Show ``image`` (64 integers 0..16, any shape); raises ``DecodeError`` otherwise."""
        pixels = np.frombuffer(image_bytes(np.asarray(image)), dtype=np.uint8)
        self._image = pixels.reshape(SIDE, SIDE).copy()
        self.update()
        self.imageChanged.emit()

    def clear(self) -> None:
        self.set_image(np.zeros((SIDE, SIDE), dtype=np.uint8))

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The (row, column) under widget coordinates ``x, y``, or None outside."""
        size = (min(self.width(), self.height()) - 1) / SIDE
        row, col = int(y // size), int(x // size)
        return (row, col) if 0 <= row < SIDE and 0 <= col < SIDE and x >= 0 and y >= 0 \
            else None

    def cell_center(self, row: int, col: int):
        from PySide6.QtCore import QPoint
        size = (min(self.width(), self.height()) - 1) / SIDE
        return QPoint(int((col + 0.5) * size), int((row + 0.5) * size))

    def paint_cell(self, row: int, col: int, value: int = PIXEL_MAX) -> None:
        if self._image[row, col] != value:
            self._image[row, col] = value
            self.update()
            self.imageChanged.emit()

    # -- Qt -------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self._ink(event)

    def mouseMoveEvent(self, event) -> None:
        self._ink(event)

    def _ink(self, event) -> None:
        if not self._editable:
            return
        buttons = event.buttons() | event.button()
        value = 0 if buttons & Qt.RightButton else PIXEL_MAX if buttons & Qt.LeftButton else None
        cell = self.cell_at(event.position().x(), event.position().y())
        if value is not None and cell is not None:
            self.paint_cell(*cell, value)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        size = (min(self.width(), self.height()) - 1) / SIDE
        grid = self.palette().mid().color()
        for row in range(SIDE):
            for col in range(SIDE):
                level = 255 - int(self._image[row, col]) * 255 // PIXEL_MAX
                rect = QRectF(col * size, row * size, size, size)
                painter.fillRect(rect, QColor(level, level, level))
                painter.setPen(grid)
                painter.drawRect(rect)
        painter.end()


class ClaimView(QGroupBox):
    """A digit guest's claim: model digest, image, class and the 10 scores."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Claim", parent)
        self.claim: MlClaim | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        layout = QVBoxLayout(self)
        self.status = QLabel("Execute, or prove and verify, to see what the guest claims.",
                             wordWrap=True, objectName="mlClaimStatus")
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.image = DigitCanvas(editable=False, cell=14)
        row.addWidget(self.image)
        form = QFormLayout()
        self.predicted = QLabel("—", objectName="mlPredictedClass")
        font = self.predicted.font()
        font.setPointSize(font.pointSize() * 2)
        font.setBold(True)
        self.predicted.setFont(font)
        self.digest = QLabel("—", objectName="mlModelDigest", wordWrap=True)
        self.digest.setFont(mono)
        self.digest.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow("Class", self.predicted)
        form.addRow("Model", self.digest)
        row.addLayout(form, 1)
        layout.addLayout(row)
        self.plot = pg.PlotWidget(axisItems={"left": CountAxis("left")})   # "10,000"
        self.plot.setMinimumHeight(150)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self.plot.setLabel("left", "score (the model's output per class)")
        self.plot.setLabel("bottom", "digit class")
        self.bars: pg.BarGraphItem | None = None
        self._style()          # empty, it has the theme's colours too, not pyqtgraph's black
        layout.addWidget(self.plot, 1)

    def _style(self) -> None:
        colors = theme.plot_colors()              # follow the light or dark palette
        self.plot.setBackground(colors["background"])
        theme.style_plot_item(self.plot.getPlotItem(), colors)

    def show_claim(self, claim: MlClaim, status: str) -> None:
        self.claim = claim
        self.status.setText(status)
        self.image.set_image(claim.image)
        self.predicted.setText(str(claim.predicted_class))
        self.digest.setText(group_hex(claim.model_digest_hex))
        self.digest.setToolTip("SHA-256 of the model blob: the model's public commitment")
        if self.bars is not None:
            self.plot.removeItem(self.bars)
        self._style()
        brushes = [pg.mkBrush("#2f9e44" if i == claim.predicted_class else "#4a7bd0")
                   for i in range(len(claim.scores))]
        self.bars = pg.BarGraphItem(x=np.arange(len(claim.scores)), height=list(claim.scores),
                                    width=0.7, brushes=brushes)
        self.plot.addItem(self.bars)
        self.plot.enableAutoRange()

    def clear_claim(self, status: str) -> None:
        self.claim = None
        self.status.setText(status)
        self.predicted.setText("—")
        self.digest.setText("—")
        if self.bars is not None:
            self.plot.removeItem(self.bars)
            self.bars = None

    def scores(self) -> list[int]:
        """The heights of the bars shown (empty with no claim)."""
        if self.bars is None:
            return []
        return [int(h) for h in self.bars.opts["height"]]


class MlPanel(QWidget):
    """The example's tab: the digit (drawn or picked), the model and the claim."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.blob, _model = read_model(model_path())
        self._digits = None
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        # The digit is the guest's public input: the journal publishes it with the class
        # and scores (docs/ml.md). The model is what stays private.
        digit_box = QGroupBox("Digit (public: written to the journal)", objectName="mlDigitBox")
        digit_layout = QVBoxLayout(digit_box)
        self.canvas = DigitCanvas()
        digit_layout.addWidget(self.canvas, 0, Qt.AlignHCenter)
        buttons = QHBoxLayout()
        self.clear_button = QPushButton("Clear", objectName="mlClear")
        self.clear_button.clicked.connect(self.canvas.clear)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        digit_layout.addLayout(buttons)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Data set image"))
        self.index = QSpinBox(objectName="mlDigitIndex")
        self.index.setRange(0, len(self.digits().labels) - 1)
        self.index.setToolTip("An image of the bundled digits data set (1,797 images)")
        pick.addWidget(self.index)
        self.label = QLabel(objectName="mlDigitLabel")
        pick.addWidget(self.label)
        self.use_button = QPushButton("Use", objectName="mlUseDigit")
        self.use_button.clicked.connect(lambda: self.pick(self.index.value()))
        pick.addWidget(self.use_button)
        pick.addStretch(1)
        digit_layout.addLayout(pick)
        self.index.valueChanged.connect(self._show_label)
        self._show_label(0)
        left.addWidget(digit_box)
        model_box = QGroupBox("Model (private; only its digest is public)")
        model_form = QFormLayout(model_box)
        from engine.ml import commitment
        self.model_digest = commitment(self.blob).hex()
        digest = QLabel(group_hex(self.model_digest), wordWrap=True, objectName="mlBlobDigest")
        digest.setToolTip(self.model_digest)
        digest.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        digest.setTextInteractionFlags(Qt.TextSelectableByMouse)
        model_form.addRow("File", QLabel(os.path.basename(model_path())))
        model_form.addRow("Size", QLabel(f"{len(self.blob):,} bytes"))
        model_form.addRow("SHA-256", digest)
        left.addWidget(model_box)
        self.prediction = QLabel("Press Execute (Ctrl+E) to classify the digit.",
                                 wordWrap=True, objectName="mlPrediction")
        left.addWidget(self.prediction)
        left.addStretch(1)
        layout.addLayout(left)
        self.claim_view = ClaimView()
        layout.addWidget(self.claim_view, 1)

    def digits(self):
        if self._digits is None:
            self._digits = load_digits()
        return self._digits

    def pick(self, index: int) -> None:
        """Put data set image ``index`` on the canvas."""
        self.index.setValue(index)
        self.canvas.set_image(self.digits().images[index])

    def private_input(self) -> bytes:
        return bytes(self.blob) + image_bytes(self.canvas.image())

    def _show_label(self, index: int) -> None:
        self.label.setText(f"label {int(self.digits().labels[index])}")


class MlExample:
    """Adds the panel to the window when needed and keeps it in step with its tasks."""

    def __init__(self, window) -> None:
        self.w = window
        self.panel: MlPanel | None = None
        self.active = False
        self._image_id = b""
        window.executeFinished.connect(self._on_executed)
        window.proveFinished.connect(self._on_proved)

    def ensure_panel(self) -> MlPanel:
        if self.panel is None:
            self.panel = MlPanel()
            self.panel.canvas.imageChanged.connect(self._update_input)
        if self.w.tabs.indexOf(self.panel) < 0:
            self.w.tabs.addTab(self.panel, TAB_TITLE)
        return self.panel

    def show_tab(self, visible: bool) -> None:
        """Keep the Digits tab only while it belongs (``workbench.model.screen``: a
        digit classifier loaded, or a claim of one shown); it is added when a claim is
        shown or the example opened."""
        if not visible and self.panel is not None and self.w.tabs.indexOf(self.panel) >= 0:
            self.w.tabs.removeTab(self.w.tabs.indexOf(self.panel))
            self.active = False

    def activate(self, index: int = 0) -> bool:
        """Open the MLP guest, show the tab and use data set image ``index``."""
        if not self.w.open_program(guest_path(GUEST)):
            return False
        panel = self.ensure_panel()
        self.active = True
        self._image_id = self.w.program.image_id
        panel.claim_view.clear_claim("Execute, or prove and verify, to see what the guest "
                                     "claims.")
        panel.pick(index)
        self._update_input()
        self.w.tabs.setCurrentWidget(panel)
        self.w.statusBar().showMessage("Private digit classification: draw a digit or pick "
                                       "one, then Execute (Ctrl+E) or Prove (Ctrl+P)")
        return True

    def _is_current(self) -> bool:
        """Whether the example is open and the MLP guest is still the loaded program."""
        return self.active and self.w.program is not None and \
            self.w.program.image_id == self._image_id

    def _update_input(self) -> None:
        if self.panel is not None and self._is_current():
            self.w.set_private_input(self.panel.private_input())
            self.panel.prediction.setText("Press Execute (Ctrl+E) to classify the digit.")

    def show_journal(self, journal: bytes, status: str) -> MlClaim | None:
        """Show the claim in ``journal`` if it is a digit classifier's; None if not."""
        try:
            claim = decode_journal(journal)
        except DecodeError:
            return None
        panel = self.ensure_panel()
        panel.claim_view.show_claim(claim, status)
        return claim

    def _on_executed(self, result: dict) -> None:
        claim = self.show_journal(result["journal"], "Executed (not proven): this is what a "
                                  "receipt of this run would claim.")
        if claim is not None and self.panel is not None:
            self.panel.prediction.setText(f"Prediction: {claim.predicted_class}")

    def _on_proved(self, receipt_path: str) -> None:
        proof = self.w.last_proof
        if proof is not None:
            self.show_journal(proof.result.receipt.journal,
                              f"Proved: {os.path.basename(receipt_path)} claims this. Verify "
                              "the receipt (drop it back on the window) to check it.")

    def on_verified(self, journal: bytes, valid: bool, name: str, note: str = "") -> None:
        """Called with every receipt check's journal; ``note`` qualifies a valid one (a
        proof not compared with an expected program)."""
        if not valid:
            if self.panel is not None and self.panel.claim_view.claim is not None:
                self.panel.claim_view.status.setText(f"{name}: INVALID receipt — the claim "
                                                     "below is not proven.")
            return
        if self.show_journal(journal, f"Verified: {name} proves this claim.{note}") \
                is not None:
            self.w.tabs.setCurrentWidget(self.panel)
