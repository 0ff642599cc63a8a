"""The main window: open a guest, give it a private input, execute it in a worker.

Thin Qt layer over the engine (STYLE.md, napari): widgets show state and forward
intent; the work runs in a superqt generator worker so the event loop never stops.
"""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QMainWindow, QPlainTextEdit, QProgressBar, QPushButton,
                               QSplitter, QVBoxLayout, QWidget)
from superqt.utils import thread_worker

from engine.errors import Cancelled, ZkwbError
from engine.resources import guest_path, resources_dir
from engine.vm import execute, load_elf


def icon_path() -> str:
    return os.path.join(resources_dir(), "icons", "zkwb.svg")


class MainWindow(QMainWindow):
    """The workbench window. Built with no arguments inside a QApplication."""

    executeFinished = Signal(dict)
    executeFailed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("ZK Workbench")
        self.resize(1100, 720)
        self.program = None
        self._private_input = b""
        self._worker = None
        self._cancel_requested = False
        self._build_ui()
        self._build_menu()
        self.statusBar().showMessage("Open a RISC-V guest (File → Open) or use the sample")
        try:
            self.open_program(guest_path("hello"))
            self.set_private_input(b"Hello, ZK Workbench!")
        except ZkwbError as e:
            self.statusBar().showMessage(str(e))

    # -- automation contract -------------------------------------------------------
    def open_program(self, path: str) -> None:
        """Load an ELF; on failure show the reason and keep the previous program."""
        try:
            program = load_elf(path)
        except ZkwbError as e:
            self.statusBar().showMessage(f"Cannot open {os.path.basename(path)}: {e}")
            self._program_info.setPlainText(str(e))
            return
        self.program = program
        self._show_program(program)
        self.statusBar().showMessage(f"Opened {program.name}")

    def set_private_input(self, data: bytes) -> None:
        self._private_input = bytes(data)
        text = data.decode("utf-8", errors="replace")
        self._input_edit.blockSignals(True)
        self._input_edit.setPlainText(text)
        self._input_edit.blockSignals(False)
        self._update_input_size()

    def start_execute(self) -> None:
        if self.program is None or self._worker is not None:
            return
        self._cancel_requested = False
        program, data = self.program, self._private_input
        self._set_busy(True, "Executing…")

        @thread_worker(start_thread=False)
        def work():
            result = execute(program, data, should_cancel=lambda: self._cancel_requested)
            return result

        worker = work()
        worker.returned.connect(self._on_execute_done)
        worker.errored.connect(self._on_execute_error)
        worker.finished.connect(lambda: self._set_busy(False))
        self._worker = worker
        worker.start()

    def cancel(self) -> None:
        self._cancel_requested = True

    # -- UI -------------------------------------------------------------------------
    def _build_ui(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        splitter = QSplitter(Qt.Horizontal)

        program_box = QGroupBox("Program")
        program_layout = QVBoxLayout(program_box)
        self._program_info = QPlainTextEdit(readOnly=True)
        self._program_info.setObjectName("programInfo")
        program_layout.addWidget(self._program_info)

        input_box = QGroupBox("Private input")
        input_layout = QVBoxLayout(input_box)
        self._input_edit = QPlainTextEdit()
        self._input_edit.setObjectName("privateInput")
        self._input_edit.textChanged.connect(self._on_input_edited)
        self._input_size = QLabel()
        input_layout.addWidget(self._input_edit)
        input_layout.addWidget(self._input_size)

        left = QSplitter(Qt.Vertical)
        left.addWidget(program_box)
        left.addWidget(input_box)
        splitter.addWidget(left)

        result_box = QGroupBox("Result")
        form = QFormLayout(result_box)
        self._exit_code = QLabel("–")
        self._cycles = QLabel("–")
        self._speed = QLabel("–")
        self._journal = QPlainTextEdit(readOnly=True)
        self._journal.setObjectName("journalView")
        self._log = QPlainTextEdit(readOnly=True)
        self._log.setObjectName("guestLog")
        form.addRow("Exit code", self._exit_code)
        form.addRow("Cycles", self._cycles)
        form.addRow("Speed", self._speed)
        form.addRow("Journal", self._journal)
        form.addRow("Guest log (stderr)", self._log)
        splitter.addWidget(result_box)
        splitter.setSizes([550, 550])
        layout.addWidget(splitter)

        buttons = QHBoxLayout()
        self._execute_button = QPushButton("Execute")
        self._execute_button.clicked.connect(self.start_execute)
        self._cancel_button = QPushButton("Cancel")
        self._cancel_button.clicked.connect(self.cancel)
        self._cancel_button.setEnabled(False)
        self._progress = QProgressBar()
        self._progress.setObjectName("progressBar")
        self._progress.setRange(0, 1)
        buttons.addWidget(self._execute_button)
        buttons.addWidget(self._cancel_button)
        buttons.addWidget(self._progress, 1)
        layout.addLayout(buttons)
        self.setCentralWidget(central)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open program…", self)
        open_action.setShortcut(QKeySequence.Open)
        open_action.triggered.connect(self._ask_open)
        file_menu.addAction(open_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        run_menu = self.menuBar().addMenu("&Run")
        exec_action = QAction("&Execute", self)
        exec_action.setShortcut(QKeySequence("Ctrl+E"))
        exec_action.triggered.connect(self.start_execute)
        run_menu.addAction(exec_action)

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open guest program", "",
                                              "RISC-V programs (*.elf);;All files (*)")
        if path:
            self.open_program(path)

    def _show_program(self, program) -> None:
        lines = [f"{program.name}  ({program.file_size:,} bytes)",
                 f"Image ID  {program.image_id_hex}",
                 f"Entry     0x{program.entry:08x}", "Segments:"]
        lines += [f"  {s.describe()}" for s in program.segments]
        lines.append(f"Functions: {len(program.symbols)}")
        lines += [f"  0x{s.address:08x}  {s.name}" for s in program.symbols[:40]]
        self._program_info.setPlainText("\n".join(lines))

    def _on_input_edited(self) -> None:
        self._private_input = self._input_edit.toPlainText().encode("utf-8")
        self._update_input_size()

    def _update_input_size(self) -> None:
        self._input_size.setText(f"{len(self._private_input):,} bytes")

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._execute_button.setEnabled(not busy)
        self._cancel_button.setEnabled(busy)
        self._progress.setRange(0, 0 if busy else 1)
        if not busy:
            self._worker = None
        if message:
            self.statusBar().showMessage(message)

    def _on_execute_done(self, result) -> None:
        self._exit_code.setText(str(result.exit_code))
        self._cycles.setText(f"{result.cycles:,}")
        self._speed.setText(f"{result.mhz:.1f} MHz ({result.seconds * 1000:.1f} ms)")
        self._journal.setPlainText(_journal_display(result.journal))
        self._log.setPlainText(result.log.decode("utf-8", errors="replace"))
        self.statusBar().showMessage(f"Exited with code {result.exit_code} after "
                                     f"{result.cycles:,} cycles")
        self.executeFinished.emit({"exit_code": result.exit_code, "cycles": result.cycles,
                                   "journal": result.journal, "log": result.log})

    def _on_execute_error(self, error: Exception) -> None:
        message = "Cancelled" if isinstance(error, Cancelled) else str(error)
        self.statusBar().showMessage(message)
        self._log.setPlainText(message)
        self.executeFailed.emit(message)


def _journal_display(journal: bytes) -> str:
    try:
        text = journal.decode("utf-8")
        if all(ch.isprintable() or ch in "\n\r\t" for ch in text):
            return text
    except UnicodeDecodeError:
        pass
    return journal.hex(" ")
