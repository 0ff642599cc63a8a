"""The main window: open a guest, give it a private input, execute it, look inside.

Thin Qt layer over the engine (STYLE.md, napari): the panels show state and forward
intent, the work runs in ``workbench.tasks`` functions on a worker thread
(``workbench.runner``), so the event loop never stops. Proving and verifying plug into
the same runner once the engine offers ``engine.prove`` and ``engine.verify``.
"""
from __future__ import annotations

import os
import sys
import traceback

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QFrame, QGroupBox, QLabel, QMainWindow, QMessageBox,
                               QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

import engine
from engine import events
from engine.errors import Cancelled, GuestFault, ZkwbError
from engine.resources import resources_dir
from engine.vm import load_elf
from workbench import files, tasks, theme
from workbench.about import about_html
from workbench.notice_bar import NoticeBar
from workbench.actions import build_actions
from workbench.disassembly_panel import DisassemblyPanel
from workbench.drops import FileDrops
from workbench.input_panel import InputPanel
from workbench.profile_panel import ProfilePanel
from workbench.program_panel import ProgramPanel
from workbench.progress_panel import ProgressPanel, phase_label
from workbench.proof_panel import ProofPanel
from workbench.query_plot import QueryPlot
from workbench.result_panel import ResultPanel
from workbench.runner import TaskRunner
from workbench.samples import DEFAULT_SAMPLE, sample_input, samples
from workbench.settings import Settings
from workbench.trace_data import TraceView
from workbench.trace_plot import TracePlot
from workbench.verify_panel import VerifyPanel, VerifySummary

NOT_YET_PROVING = "Proving arrives with the prover: this build can execute guests but " \
    "not prove them yet."


ENGINE_EVENTS = (events.PhaseStarted, events.PhaseFinished, events.Progress, events.TraceReady,
                 events.Committed, events.FriLayers, events.QueryPositions, events.QueryChecked)


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
        self.program = None
        self._cycles_so_far = 0
        self.last_outcome: tasks.ExecutionOutcome | None = None
        self._program_path = ""
        self.settings = Settings()
        theme.apply_theme(self.settings.theme())
        self.runner = TaskRunner(self)
        self.runner.event.connect(self._on_event)
        self.runner.tick.connect(lambda s: self.progress.set_elapsed(s))
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self._build_ui()
        self.actions = build_actions(self)
        self._drops = FileDrops(self, self.handle_dropped_paths)
        self._restore_window()
        self._update_actions()
        self.statusBar().showMessage("Open a RISC-V guest (Ctrl+O), drop one on the window, "
                                     "or press Execute to run the sample")
        self.open_sample(DEFAULT_SAMPLE, remember=False)

    # -- automation contract -------------------------------------------------------
    def open_program(self, path: str, remember: bool = True) -> bool:
        """Load an ELF; on failure say why and keep the previous program."""
        if self.runner.busy:
            self.notify("A task is running: wait for it or press Cancel first.", "warning")
            return False
        try:
            program = load_elf(path)
        except ZkwbError as e:
            self.notify(f"Cannot open {os.path.basename(path)}: {e}", "error")
            return False
        self.program, self._program_path = program, os.path.abspath(path)
        self.last_outcome = None
        self.program_panel.show_program(program)
        self.disassembly.set_program(program)
        self.results.clear()
        self.trace_plot.show_message("Press Execute (Ctrl+E) to run the program and see its "
                                     "trace.")
        self.profile.show_message("Execute the program to see where its cycles go.")
        self.setWindowTitle(f"ZK Workbench — {program.name}")
        self._program_label.setText(f"{program.name} · image {program.image_id_hex[:12]}…")
        if remember:
            self.settings.add_recent_file(path)
            self.settings.set_last_folder(path)
        self.statusBar().showMessage(f"Opened {program.name} ({len(program.symbols)} functions, "
                                     f"image ID {program.image_id_hex[:16]}…)")
        self._update_actions()
        return True

    def open_sample(self, name: str, remember: bool = True) -> None:
        """Open a bundled guest with an input that suits it."""
        path = dict(samples()).get(name)
        if path is None:
            self.notify(f"There is no bundled sample named {name}.", "error")
        elif self.open_program(path, remember):
            self.set_private_input(sample_input(name))

    def set_private_input(self, data: bytes) -> None:
        self.input_panel.set_data(data)

    def private_input(self) -> bytes:
        return self.input_panel.data()

    def start_execute(self) -> bool:
        """Execute the loaded program on the private input in a worker; False if not started."""
        if not self._ready_to_run():
            return False
        self.results.clear("Running…")
        self.trace_plot.show_message("Executing… the trace appears here when the run ends.")
        self.profile.show_message("Executing…")
        self.progress.begin("Starting")
        self._cycles_so_far = 0
        self.runner.start("execute", tasks.run_execution, self.program, self.private_input())
        self._update_actions()
        return True

    def start_prove(self, receipt_path: str | None = None) -> bool:
        """Prove the loaded program on the private input (once the engine can)."""
        self.notify(NOT_YET_PROVING, "info")
        self.proveFailed.emit(NOT_YET_PROVING)
        return False

    def verify_file(self, path: str) -> bool:
        """Check the receipt at ``path`` in a worker; ``verifyFinished`` gives the verdict.

        Until the engine can verify, a well-formed receipt's claim is shown as "not
        verified yet" (no ``verifyFinished``); a malformed one is Invalid with the reason.
        """
        if self.runner.busy:
            self.notify("A task is running: wait for it or press Cancel first.", "warning")
            return False
        self.verify_panel.show_message(f"Reading {os.path.basename(path)}…")
        self.progress.begin("Checking the receipt")
        self.settings.add_recent_file(path)
        self.runner.start("verify", tasks.run_receipt_check, path)
        self._update_actions()
        return True

    def cancel(self) -> None:
        if self.runner.busy and not self.runner.cancel_requested:
            self.runner.cancel()
            self.progress.cancelling()
            self.statusBar().showMessage("Cancelling…")

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
        outcome = self.last_outcome
        if outcome is None or outcome.trace is None:
            self.notify("There is no trace to export: execute the program first (runs up to "
                        f"{tasks.TRACE_ROW_LIMIT:,} cycles record one).", "warning")
            return False
        if self.runner.busy:
            return False
        self.progress.begin("Saving the trace")
        return self.runner.start("export", tasks.run_trace_export, path, outcome.trace,
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
        """Show a message in the banner above the panels and in the status bar."""
        self._notice.show_message(text, level)
        self.statusBar().showMessage(text, 15000)
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

        self.progress = ProgressPanel()
        self.progress.cancelRequested.connect(self.cancel)
        layout.addWidget(self.progress)
        self.setCentralWidget(central)
        self._program_label = QLabel()
        self.statusBar().addPermanentWidget(self._program_label)

        self.trace_plot.cycleSelected.connect(self._show_cycle)
        self.profile.functionActivated.connect(self._show_function)
        self.program_panel.functionActivated.connect(self._show_function)
        self.input_panel.changed.connect(self._update_actions)

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

    def _update_actions(self) -> None:
        actions = getattr(self, "actions", None)
        if actions is None:
            return
        busy = self.runner.busy
        actions.execute.setEnabled(not busy and self.program is not None)
        actions.prove.setEnabled(not busy and self.program is not None
                                 and getattr(engine, "prove", None) is not None)
        actions.cancel.setEnabled(busy)
        has_trace = self.last_outcome is not None and self.last_outcome.trace is not None
        actions.export_trace.setEnabled(not busy and has_trace)
        for action in (actions.open, actions.open_receipt):
            action.setEnabled(not busy)

    def _ready_to_run(self) -> bool:
        if self.runner.busy:
            self.notify("A task is already running: wait for it or press Cancel.", "warning")
            return False
        if self.program is None:
            self.notify("Open a guest program first (File → Open program…).", "warning")
            return False
        if self.input_panel.error():
            self.notify(f"The private input cannot be used: {self.input_panel.error()}",
                        "error")
            return False
        self._notice.hide()
        return True

    # -- worker results -------------------------------------------------------------
    def _on_event(self, event) -> None:
        if isinstance(event, ENGINE_EVENTS):
            self._on_engine_event(event)
        elif isinstance(event, tasks.PhaseStarted):
            self.progress.set_phase(event.label)
            if event.name == "compile":
                self.trace_plot.show_message("Compiling the executor's kernels (first run "
                                             "only, a few seconds)…")
        elif isinstance(event, tasks.CyclesRun):
            self._cycles_so_far = event.cycles
            self.progress.set_detail(f"{event.cycles:,} cycles")
        elif isinstance(event, tasks.KernelsReady):
            self.statusBar().showMessage(f"Kernels ready in {event.seconds:.1f} s")

    def _on_engine_event(self, event) -> None:
        """Progress of a proof or a verification, as ``engine.events`` reports it."""
        if isinstance(event, events.PhaseStarted):
            self.progress.set_phase(phase_label(event.phase))
        elif isinstance(event, events.Progress):
            self.progress.set_fraction(event.fraction)
        elif isinstance(event, events.PhaseFinished):
            self.proof_panel.phase_finished(event.phase, event.seconds)
        elif isinstance(event, events.TraceReady):
            view = TraceView.from_columns(event.names, event.columns, source="proof")
            self.trace_plot.set_trace(view)
        elif isinstance(event, events.Committed):
            self.proof_panel.committed(event.name, event.root)
        elif isinstance(event, events.FriLayers):
            self.query_plot.show_fri_layers(event.sizes)
            self.proof_panel.fri_layers(event.sizes)
        elif isinstance(event, events.QueryPositions):
            self.query_plot.set_query_positions(event.positions, event.domain_size)
        elif isinstance(event, events.QueryChecked):
            self.query_plot.mark_query(event.index, event.passed)

    def _on_succeeded(self, name: str, result) -> None:
        if name == "execute":
            self._show_execution(result)
        elif name == "verify":
            self._show_receipt_check(result)
        elif name == "export":
            self.progress.finish(f"Saved {os.path.basename(result)}")
            self.statusBar().showMessage(f"Saved the trace to {result}")
            self.exportFinished.emit(result)
        self._update_actions()

    def _on_failed(self, name: str, error) -> None:
        if isinstance(error, Cancelled):
            message, outcome = "Cancelled", "Cancelled"
        elif isinstance(error, GuestFault):
            message, outcome = str(error), "Guest fault"
        elif isinstance(error, ZkwbError):
            message, outcome = str(error), "Refused"
        else:
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
            message, outcome = f"Unexpected error: {type(error).__name__}: {error}", "Error"
        self.progress.finish(message if outcome != "Cancelled" else "Cancelled", done=False)
        if name == "execute":
            fault = error if isinstance(error, GuestFault) else None
            self.results.show_failure(outcome, message,
                                      fault.journal if fault else b"", fault.log if fault else b"",
                                      fault.cycles if fault else self._cycles_so_far or None)
            self.trace_plot.show_message(f"{outcome}: no trace. {message}"
                                         if outcome != "Cancelled" else
                                         "Cancelled. Press Execute to run again.")
            self.profile.show_message(f"{outcome}: no profile.")
            if fault is not None:
                self.disassembly.show_at(fault.pc, "fault")
            self.executeFailed.emit(message)
        elif name == "verify":
            self.verify_panel.show_message(message)
            if outcome != "Cancelled":
                self.verifyFinished.emit(False, message)
        self.notify(message, "info" if outcome == "Cancelled" else "error")
        self._update_actions()

    def _show_execution(self, outcome: tasks.ExecutionOutcome) -> None:
        self.last_outcome = outcome
        result = outcome.result
        self.results.show_execution(result, outcome.trace_note)
        if outcome.trace is not None:
            self.trace_plot.set_trace(outcome.trace)
            self.profile.show_profile(outcome.profile)
        else:
            self.trace_plot.show_message(outcome.trace_note)
            self.profile.show_message(outcome.trace_note + " The profile is computed from "
                                      "the trace.")
        self.progress.finish(f"Exited with code {result.exit_code} after {result.cycles:,} "
                             "cycles")
        self.statusBar().showMessage(f"Exited with code {result.exit_code} after "
                                     f"{result.cycles:,} cycles ({result.mhz:.1f} MHz)")
        self.executeFinished.emit({
            "exit_code": result.exit_code, "cycles": result.cycles,
            "journal": result.journal, "journal_hex": result.journal.hex(),
            "log": result.log, "image_id": self.program.image_id_hex,
            "seconds": result.seconds, "mhz": result.mhz,
            "trace_rows": outcome.trace.rows if outcome.trace else 0})

    def _show_receipt_check(self, check: tasks.ReceiptCheck) -> None:
        receipt = check.receipt
        expected = self.verify_panel.pinned_image_id() or \
            (self.program.image_id_hex if self.program is not None else "")
        summary = VerifySummary(
            valid=check.valid, reason=check.reason, path=check.path,
            image_id_hex=receipt.image_id.hex() if receipt else "",
            expected_image_id_hex=expected if receipt else "",
            journal=receipt.journal if receipt else b"",
            exit_code=receipt.exit_code if receipt else None,
            security_bits=receipt.security_bits if receipt else None,
            trace_height=(1 << receipt.log_trace_height) if receipt else None,
            receipt_bytes=check.size, seconds=check.seconds)
        self.verify_panel.show_result(summary)
        name = os.path.basename(check.path)
        if check.valid is None:
            self.progress.finish(f"{name}: not verified")
            self.notify(f"{name} is a well-formed receipt; {check.reason}.", "info")
            return
        verdict = "Valid" if check.valid else f"Invalid: {check.reason}"
        self.progress.finish(f"{name}: {verdict}", done=check.valid)
        self.notify(f"{name}: {verdict}", "info" if check.valid else "error")
        self.verifyFinished.emit(bool(check.valid), f"{name}: {verdict}")

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
    def closeEvent(self, event) -> None:
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.runner.shutdown()
        super().closeEvent(event)


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
