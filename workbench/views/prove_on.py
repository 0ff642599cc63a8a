"""The toolbar's "Prove on" field: this process, local Dask workers, or a scheduler.

An editable drop-down whose text ``workbench.model.cluster.parse_target`` reads: it
offers "this process", "2 local workers" and the scheduler addresses proved on before
(remembered in the settings with the last choice). A text that names no target is
marked and refused when a proof starts, with the model's sentence.
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QSizePolicy

from workbench.model.cluster import SUGGESTIONS, ProveTarget, parse_target

TOOLTIP = ("Where a proof runs: “this process”; a number of local worker processes "
           "(“2 local workers”, Dask on this machine); or the address of a Dask scheduler "
           "(tcp://HOST:8786) whose workers were started with `zkwb worker ADDRESS`. "
           "The receipt is the same wherever it is proved.")


class ProveOnBox(QComboBox):
    """Where the next proof runs (``target``), remembered in ``settings``."""

    def __init__(self, settings, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("proveOn")
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.NoInsert)
        self.setToolTip(TOOLTIP)
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.lineEdit().setPlaceholderText(SUGGESTIONS[0])
        self._settings = settings
        self._fill()
        self.setEditText(settings.prove_on() or SUGGESTIONS[0])
        self.editTextChanged.connect(self._mark)
        self._mark(self.currentText())

    def _fill(self) -> None:
        self.blockSignals(True)
        text = self.currentText()
        self.clear()
        self.addItems(list(SUGGESTIONS) + self._settings.schedulers())
        self.setEditText(text)
        self.blockSignals(False)

    def problem(self) -> str | None:
        """Why the text names no target (None when it does)."""
        try:
            parse_target(self.currentText())
        except ValueError as e:
            return str(e)
        return None

    def target(self) -> ProveTarget:
        """The target the text names; ``ValueError`` (a sentence) when none."""
        return parse_target(self.currentText())

    def set_target_text(self, text: str) -> None:
        self.setEditText(text)

    def remember(self, target: ProveTarget) -> None:
        """Keep ``target`` as the choice (and a scheduler among the suggestions)."""
        self._settings.set_prove_on(target.text())
        if target.cluster is not None:
            self._settings.add_scheduler(target.cluster)
            self._fill()

    def _mark(self, _text: str) -> None:
        """Red text, and the reason in the tooltip, while the text names no target."""
        problem = self.problem()
        self.lineEdit().setStyleSheet("color: #d02a2a;" if problem else "")
        self.setToolTip(TOOLTIP if problem is None else f"{problem}\n\n{TOOLTIP}")
