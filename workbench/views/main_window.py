"""The main window: open a guest, give it a private input, execute it, look inside.

Thin Qt layer over the engine, as in napari (model without Qt, widgets that show state
and forward intent): what the window works on is a ``workbench.model.session.Session``,
the work runs in ``workbench.model.tasks`` functions on a worker thread
(``workbench.views.runner``), so the event loop never stops, and
``workbench.views.outcomes`` shows what the tasks report and return.
"""
from __future__ import annotations

import os
import time

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QFrame, QGroupBox, QMainWindow, QMessageBox,
                               QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

import engine
from engine.errors import ZkwbError
from engine.runtime.resources import resources_dir
from engine.vm import load_elf
from workbench.model import files, tasks
from workbench.model.samples import DEFAULT_SAMPLE, sample_input, samples
from workbench.model.screen import EXECUTE, EXPORT, PROVE, VERIFY
from workbench.model.session import NO_RECEIPT, NO_TRACE, Session
from workbench.views import theme
from workbench.views.about import about_html
from workbench.views.actions import build_actions
from workbench.views.disassembly_panel import DisassemblyPanel
from workbench.views.drops import FileDrops
from workbench.views.elided_label import ElidedLabel
from workbench.views.input_panel import InputPanel
from workbench.views.ml_example import MlExample
from workbench.views.notice_bar import NoticeBar
from workbench.views.outcomes import Outcomes
from workbench.views.profile_panel import ProfilePanel
from workbench.views.program_panel import ProgramPanel
from workbench.views.progress_panel import ProgressPanel
from workbench.views.proof_panel import ProofPanel
from workbench.views.query_plot import QueryPlot
from workbench.views.result_panel import ResultPanel
from workbench.views.prove_on import ProveOnBox
from workbench.views.phase_timeline import PhaseTimelineStrip
from workbench.views.segment_strip import SegmentStrip
from workbench.views.runner import TaskRunner
from workbench.views.session_view import SessionView
from workbench.views.settings import Settings
from workbench.views.status_bar import StatusBar
from workbench.views.trace_plot import TracePlot
from workbench.views.verify_panel import VerifyPanel


def icon_path() -> str:
    return os.path.join(resources_dir(), "icons", "zkwb.svg")


class MainWindow(QMainWindow):
    """The workbench window. Built with no arguments inside a QApplication."""

    executeFinished = Signal(dict)
    executeFailed = Signal(str)
    proveFinished = Signal(str)
    proveFailed = Signal(str)
    verifyFinished = Signal(bool, str)
    exportFinished = Signal(str)
    noticeShown = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowIcon(QIcon(icon_path()))
        self.session = Session()
        self.settings = Settings()
        theme.apply_theme(self.settings.theme())
        self.runner = TaskRunner(self)
        self.setStatusBar(StatusBar())
        self.prove_on = ProveOnBox(self.settings)
        self._build_ui()
        self.outcomes = Outcomes(self)
        self.ml_example = MlExample(self)
        self.view = SessionView(self)
        self.actions = build_actions(self)
        self._drops = FileDrops(self, self.handle_dropped_paths)
        self._restore_window()
        self.update_actions()
        self.statusBar().showMessage("Open a RISC-V guest (Ctrl+O), drop one on the window, "
                                     "or press Execute to run the sample")
        self._open_at_start()

    def _open_at_start(self) -> None:
        """The program the user opened last (a sample with its input), else the default
        sample, which is not an expected program."""
        last = self.settings.last_program()
        by_path = {os.path.abspath(path): name for name, path in samples()}
        if last is not None and last in by_path:
            self.open_sample(by_path[last], remember=False)
        elif last is None or not self.open_program(last, remember=False):
            self.open_sample(DEFAULT_SAMPLE, remember=False, expected=False)

    # -- automation contract -------------------------------------------------------
    @property
    def program(self):
        """The loaded ``engine.vm.Program`` (the session's)."""
        return self.session.program

    @property
    def expected_program(self):
        """The program receipts are compared with: the one the user loaded, never the
        sample shown at start (None then: receipts are checked unpinned)."""
        return self.session.expected_program

    @property
    def last_outcome(self) -> tasks.ExecutionOutcome | None:
        return self.session.last_outcome

    @property
    def last_proof(self) -> tasks.ProofOutcome | None:
        return self.session.last_proof

    def open_program(self, path: str, remember: bool = True, expected: bool = True) -> bool:
        """Load an ELF; on failure say why and keep the previous program.

        With ``expected`` (a program the user chose) receipts are then verified against
        it: a receipt for any other image is Invalid. Without it (the sample shown at
        start) they are checked against the program they carry, and say so.
        """
        if self.runner.busy:
            self.notify("A task is running: wait for it or press Cancel first.", "warning")
            return False
        try:
            program = load_elf(path)
        except ZkwbError as e:
            self.notify(f"Cannot open {os.path.basename(path)}: {e}", "error")
            return False
        self.session.open(program, expected)
        self._notice.hide()             # it was about the last program
        self.verify_panel.set_expected(*self.session.expected())
        self.program_panel.show_program(program)
        self.disassembly.set_program(program)
        self.trace_plot.set_program(program)
        self.proof_panel.clear()
        self.view.render()
        self.trace_plot.show_message("Press Execute (Ctrl+E) to run the program and see its "
                                     "trace.")
        self.profile.show_message("Execute the program to see where its cycles go.")
        self.setWindowTitle(f"ZK Workbench — {program.name}")
        self._program_label.setText(f"{program.name} · image {program.image_id_hex[:12]}…")
        if remember:
            self.settings.add_recent_file(path)
            self.settings.set_last_folder(path)
            self.settings.set_last_program(path)
        self.statusBar().showMessage(f"Press Execute (Ctrl+E) to run {program.name}, or Prove "
                                     "(Ctrl+P) to prove it")
        self.update_actions()
        return True

    def open_sample(self, name: str, remember: bool = True, expected: bool = True) -> None:
        """Open a bundled guest with an input that suits it (``expected``: see
        ``open_program``)."""
        path = dict(samples()).get(name)
        if path is None:
            self.notify(f"There is no bundled sample named {name}.", "error")
        elif self.open_program(path, remember, expected):
            self.set_private_input(sample_input(name))

    def open_ml_example(self, index: int = 0) -> bool:
        """Examples → Private digit classification: the MLP guest, its model and data set
        image ``index``, with the Digits tab (``self.ml_example.panel``)."""
        return self.ml_example.activate(index)

    def set_private_input(self, data: bytes) -> None:
        self.input_panel.set_data(data)

    def private_input(self) -> bytes:
        return self.input_panel.data()

    def start_execute(self) -> bool:
        """Execute the loaded program on the private input in a worker; False if not started."""
        if not self._ready_to_run():
            return False
        self.trace_plot.show_message("Executing… the trace appears here when the run ends.")
        self.profile.show_message("Executing…")
        self._start(EXECUTE, self.program.name, tasks.run_execution, self.program,
                    self.private_input())
        return True

    def start_prove(self, receipt_path: str | None = None) -> bool:
        """Prove the loaded program on the private input in a worker.

        The receipt goes to ``receipt_path`` (default: a new file in the user's
        receipts folder) once the proof is complete; ``proveFinished`` gives its path,
        ``proveFailed`` the reason (a cancelled proof writes nothing).
        """
        if not self._ready_to_run():
            return False
        try:
            target = self.prove_on.target()
        except ValueError as e:
            self.notify(f"Cannot prove: {e}", "error")
            return False
        self.prove_on.remember(target)
        path = receipt_path or default_receipt_path(self.program.name)
        self.trace_plot.show_message("Proving… the committed trace appears here as soon as "
                                     "the witness exists.")
        self.profile.show_message("Proving…")
        where = "" if target.in_process else f" {target.describe()}"
        self.proof_panel.begin(f"Proof of {self.program.name}{where}")
        self.tabs.setCurrentWidget(self.query_plot)
        self._start(PROVE, self.program.name, tasks.run_proof, self.program,
                    self.private_input(), path, target)
        return True

    def verify_file(self, path: str, after_proof: bool = False) -> bool:
        """Check the receipt at ``path`` in a worker; ``verifyFinished(valid, summary)``.

        The receipt must be for the expected image: one pinned in the panel, else the
        program the user loaded (``expected_program``); a receipt for any other image
        is Invalid. With neither, it is checked against the image it carries (or, if
        detached, the loaded program's) and the verdict says it was not compared with
        an expected program. A fresh proof's receipt is verified so at once
        (``after_proof``: the banner keeps saying where it was saved, the Proof tab the
        proof's phases).
        """
        if self.runner.busy:
            self.notify("A task is running: wait for it or press Cancel first.", "warning")
            return False
        expected = self.session.expected_image_id(self.verify_panel.pinned_image_id())
        if not after_proof:
            self.proof_panel.begin(f"Verification of {os.path.basename(path)}")
        self.tabs.setCurrentWidget(self.query_plot)     # where each query is checked
        # Recent files get the receipt once it decodes (Outcomes.show_receipt_check):
        # a junk or truncated file is not worth reopening.
        self._start(VERIFY, os.path.basename(path), tasks.run_receipt_check, path, expected,
                    self.program, after_proof=after_proof)
        return True

    def save_receipt(self, path: str) -> bool:
        """Save the last proof's receipt at ``path`` too (atomically)."""
        if self.last_proof is None:
            self.notify(NO_RECEIPT, "warning")
            return False
        try:
            engine.write_receipt(path, self.last_proof.result.receipt)
        except ZkwbError as e:
            self.notify(f"Could not save {os.path.basename(path)}: {e}", "error")
            return False
        self.settings.add_recent_file(path)
        self.settings.set_save_folder(path)
        self.statusBar().showMessage(f"Saved the receipt to {path}")
        return True

    def cancel(self) -> None:
        if self.runner.busy and not self.runner.cancel_requested:
            self.runner.cancel()
            self.progress.cancelling()

    def handle_dropped_paths(self, paths: list[str]) -> None:
        """A drop: ``.elf`` opens, ``.zkr`` verifies, anything else is refused politely."""
        local = [p for p in paths if p]
        if not local:
            self.notify("Only files on this computer can be dropped here.", "warning")
            return
        path = local[0]
        extra = f" (one file at a time: the other {len(local) - 1} were ignored)" \
            if len(local) > 1 else ""
        if os.path.isdir(path):
            self.notify(f"{os.path.basename(path)} is a folder. Drop a guest program (.elf) or "
                        "a receipt (.zkr).", "warning")
            return
        kind = files.classify_drop(path)
        if kind == files.PROGRAM:
            if self.open_program(path) and extra:
                self.notify(f"Opened {os.path.basename(path)}{extra}.", "info")
        elif kind == files.RECEIPT:
            self.verify_file(path)
        else:
            self.notify(f"{os.path.basename(path)} is neither a guest program (.elf) nor a "
                        f"receipt (.zkr), so it was not opened. To use a file as the private "
                        f"input, choose File → Load input file…{extra}", "warning")

    def export_trace(self, path: str) -> bool:
        """Save the last trace as ``.npz`` in a worker (``exportFinished`` when saved)."""
        trace = self.session.trace()
        if trace is None:
            self.notify(NO_TRACE, "warning")
            return False
        if self.runner.busy:
            return False
        return self._start(EXPORT, os.path.basename(path), tasks.run_trace_export, path, trace,
                           self.program.image_id, self.program.name)

    def export_plot(self, path: str) -> bool:
        """Save the current tab's plot as PNG (atomically)."""
        widget = self.tabs.currentWidget()
        pixmap = widget.grab()
        try:
            with files.atomic_path(path) as temporary:
                if not pixmap.save(temporary, "PNG"):
                    raise OSError("the image could not be encoded")
        except OSError as e:
            self.notify(f"Could not save {os.path.basename(path)}: {e}", "error")
            return False
        self.statusBar().showMessage(f"Saved the plot to {path}")
        return True

    def notify(self, text: str, level: str = "info") -> None:
        """Show a message in the banner above the panels (only there: the status bar
        keeps its hint, the panels their own state)."""
        self._notice.show_message(text, level)
        self.noticeShown.emit(text)

    def notice(self) -> str:
        """The banner's message ("" when hidden)."""
        return self._notice.message()

    # -- UI -------------------------------------------------------------------------
    def _build_ui(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self._notice = NoticeBar()
        layout.addWidget(self._notice)

        self.program_panel = ProgramPanel()
        self.input_panel = InputPanel()
        left = QSplitter(Qt.Vertical)
        left.addWidget(_group("Program", self.program_panel))
        left.addWidget(_group("Private input", self.input_panel))
        left.setSizes([520, 260])

        self.trace_plot = TracePlot()
        self.query_plot = QueryPlot()
        self.profile = ProfilePanel()
        self.disassembly = DisassemblyPanel()
        self.proof_panel = ProofPanel()
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.addTab(self.trace_plot, "Trace")
        self.tabs.addTab(self.query_plot, "Queries")
        self.tabs.addTab(self.profile, "Profile")
        self.tabs.addTab(self.disassembly, "Disassembly")
        self.tabs.addTab(self.proof_panel, "Proof")

        self.results = ResultPanel()
        self.verify_panel = VerifyPanel()
        right = QSplitter(Qt.Vertical)
        right.addWidget(_group("Execution", self.results))
        right.addWidget(_group("Verification", self.verify_panel, scroll=True))
        right.setSizes([430, 350])

        self._splitter = QSplitter(Qt.Horizontal, objectName="mainSplitter")
        for widget in (left, self.tabs, right):
            self._splitter.addWidget(widget)
        for index, stretch in enumerate((0, 1, 0)):
            self._splitter.setStretchFactor(index, stretch)
        self._splitter.setSizes([320, 700, 330])
        layout.addWidget(self._splitter, 1)

        self.segment_strip = SegmentStrip()
        layout.addWidget(self.segment_strip)
        self.phase_timeline = PhaseTimelineStrip()
        layout.addWidget(self.phase_timeline)
        self.progress = ProgressPanel()
        self.progress.cancelRequested.connect(self.cancel)
        layout.addWidget(self.progress)
        self.setCentralWidget(central)
        self._program_label = ElidedLabel(objectName="programLabel")
        self._program_label.setMaximumWidth(420)
        self.statusBar().addPermanentWidget(self._program_label)

        self.trace_plot.cycleSelected.connect(self._show_cycle)
        self.profile.functionActivated.connect(self._show_function)
        self.program_panel.functionActivated.connect(self._show_function)
        self.input_panel.changed.connect(self.update_actions)

    def _restore_window(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry() if self.screen() else None
            width, height = 1360, 860
            if screen is not None:
                width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
            self.resize(width, height)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    def update_actions(self) -> None:
        """Enable what can be done now (nothing that starts a task while one runs)."""
        actions = getattr(self, "actions", None)
        if actions is None:
            return
        busy = self.runner.busy
        actions.execute.setEnabled(not busy and self.program is not None)
        actions.prove.setEnabled(not busy and self.program is not None)
        actions.save_receipt.setEnabled(self.last_proof is not None)
        actions.cancel.setEnabled(busy)
        actions.export_trace.setEnabled(not busy and self.session.trace() is not None)
        for action in (actions.open, actions.open_receipt):
            action.setEnabled(not busy)

    def _ready_to_run(self) -> bool:
        if self.runner.busy:
            self.notify("A task is already running: wait for it or press Cancel.", "warning")
            return False
        refusal = self.session.run_refusal(self.input_panel.error())
        if refusal:
            self.notify(refusal, "warning" if self.program is None else "error")
            return False
        self._notice.hide()
        return True

    def _start(self, name: str, subject: str, task, *args, after_proof: bool = False) -> bool:
        """Start task ``name`` on ``subject`` (a program's or a receipt's name): the
        session records it, and the panels it replaces say so before it runs
        (``after_proof``: the check of the receipt just proved, which keeps the banner
        and the Proof tab of its proof)."""
        self.outcomes.cycles_so_far = 0
        self.outcomes.after_proof = after_proof
        if not after_proof:
            self._notice.hide()
        self.session.begin(name, subject)
        self.progress.begin("Starting")
        started = self.runner.start(name, task, *args)
        self.view.render()
        self.update_actions()
        return started

    # -- inspection -----------------------------------------------------------------
    def _show_cycle(self, cycle: int, pc: int) -> None:
        if pc >= 0:
            self.disassembly.show_at(pc, f"cycle {cycle:,}")
            self.statusBar().showMessage(f"Cycle {cycle:,}: pc 0x{pc:08x} (see Disassembly)")

    def _show_function(self, address: int) -> None:
        self.disassembly.show_at(address, "function")
        self.tabs.setCurrentWidget(self.disassembly)

    def show_about(self) -> None:
        QMessageBox.about(self, "About ZK Workbench", about_html())

    def set_theme(self, name: str) -> None:
        theme.apply_theme(name)
        self.settings.set_theme(name)

    # -- closing --------------------------------------------------------------------
    def request_quit(self) -> bool:
        """File → Quit: close the window, after asking if a proof would be lost."""
        return self.confirm_quit() and self.close()

    def confirm_quit(self) -> bool:
        """True unless a proof is running and the user chooses to keep it."""
        if self.runner.task_name != "prove" or self.runner.cancel_requested:
            return True
        answer = QMessageBox.question(
            self, "Quit ZK Workbench?",
            f"A proof is running ({self.runner.elapsed():,.0f} s so far). Quitting stops it "
            "and writes no receipt.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:
        # The window manager's close button asks as File → Quit does; a close from
        # code (tests, the application quitting) does not.
        if event.spontaneous() and not self.confirm_quit():
            event.ignore()
            return
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.runner.shutdown(seconds=3.0)
        super().closeEvent(event)


def default_receipt_path(program_name: str) -> str:
    """A new file in the user's receipts folder, named after the program and the time."""
    data = QStandardPaths.writableLocation(QStandardPaths.GenericDataLocation) \
        or os.path.expanduser("~/.local/share")
    folder = os.path.join(data, "zkwb", "receipts")
    os.makedirs(folder, exist_ok=True)
    stem = os.path.splitext(program_name)[0] or "guest"
    return os.path.join(folder, f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.zkr")


def _group(title: str, widget: QWidget, scroll: bool = False) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    if scroll:
        area = QScrollArea(widgetResizable=True, frameShape=QFrame.NoFrame)
        area.setWidget(widget)
        widget = area
    layout.addWidget(widget)
    return box
