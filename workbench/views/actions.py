"""Menus, toolbar and keyboard shortcuts of the main window."""
from __future__ import annotations

import os
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QToolBar

from workbench.model.samples import samples
from workbench.views import dialogs, theme


def build_actions(window) -> SimpleNamespace:
    """Create the window's actions, menus and toolbar; returns the actions by name."""
    a = SimpleNamespace()

    def action(text, slot, shortcut=None, tip=""):
        act = QAction(text, window)
        if shortcut is not None:
            act.setShortcuts([QKeySequence(s) for s in shortcut] if isinstance(shortcut, list)
                             else [QKeySequence(shortcut)])
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(f"{tip} ({act.shortcut().toString(QKeySequence.NativeText)})"
                           if shortcut is not None else tip)
        act.triggered.connect(slot)
        return act

    def ask(dialog):
        return lambda: dialog(window)

    a.open = action("&Open program…", ask(dialogs.ask_open_program), QKeySequence.Open,
                    "Open a RISC-V guest program (.elf)")
    a.open_receipt = action("&Verify receipt…", ask(dialogs.ask_verify_receipt), "Ctrl+Shift+O",
                            "Check a receipt (.zkr)")
    a.save_receipt = action("&Save receipt as…", ask(dialogs.ask_save_receipt), QKeySequence.Save,
                            "Save the last proof's receipt (.zkr) somewhere else")
    a.load_input = action("Load &input file…", ask(dialogs.ask_input_file), "Ctrl+I",
                          "Use a file's bytes as the private input")
    a.export_trace = action("Export &trace as .npz…", ask(dialogs.ask_export_trace),
                            "Ctrl+Shift+E", "Save the trace's columns as a NumPy archive")
    a.export_plot = action("Export &plot as PNG…", ask(dialogs.ask_export_plot), "Ctrl+Shift+S",
                           "Save the current tab as a PNG image")
    a.quit = action("&Quit", window.request_quit, QKeySequence.Quit)
    a.execute = action("&Execute", window.start_execute, ["Ctrl+E", "F5"],
                       "Run the program on the private input (no proof)")
    a.prove = action("&Prove", lambda: window.start_prove(), ["Ctrl+P", "F6"],
                     "Prove the run and save a receipt (.zkr)")
    a.cancel = action("&Cancel", window.cancel, Qt.Key_Escape, "Stop the running task")
    a.about = action("&About ZK Workbench", window.show_about, QKeySequence.HelpContents)

    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.open)
    recent = file_menu.addMenu("Open &recent")
    recent.aboutToShow.connect(lambda: _fill_recent(window, recent))
    sample_menu = file_menu.addMenu("Open sa&mple")
    for name, _path in samples():
        sample_menu.addAction(name, lambda n=name: window.open_sample(n))
    file_menu.addSeparator()
    file_menu.addAction(a.open_receipt)
    file_menu.addAction(a.save_receipt)
    file_menu.addAction(a.load_input)
    file_menu.addSeparator()
    file_menu.addAction(a.export_trace)
    file_menu.addAction(a.export_plot)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    examples_menu = bar.addMenu("E&xamples")
    a.ml_example = action("Private &digit classification", lambda: window.open_ml_example(),
                          tip="Classify a drawn or picked 8×8 digit with a private model, "
                              "then prove what it answered")
    examples_menu.addAction(a.ml_example)

    run_menu = bar.addMenu("&Run")
    for act in (a.execute, a.prove, a.cancel):
        run_menu.addAction(act)

    view_menu = bar.addMenu("&View")
    for index, (key, label) in enumerate((("Ctrl+1", "&Trace"), ("Ctrl+2", "&Queries"),
                                          ("Ctrl+3", "&Profile"), ("Ctrl+4", "&Disassembly"),
                                          ("Ctrl+5", "P&roof"))):
        view_menu.addAction(action(label, lambda _=False, i=index: window.tabs.setCurrentIndex(i),
                                   key))
    view_menu.addSeparator()
    theme_menu = view_menu.addMenu("T&heme")
    group = QActionGroup(window)
    current = window.settings.theme()
    for name in theme.THEMES:
        act = QAction(name.capitalize(), window, checkable=True)
        act.setChecked(name == current)
        act.triggered.connect(lambda _=False, n=name: window.set_theme(n))
        group.addAction(act)
        theme_menu.addAction(act)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.about)
    help_menu.addAction("About &Qt", QApplication.aboutQt)

    toolbar = QToolBar("Main", objectName="mainToolBar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
    for act in (a.open, a.execute, a.prove):
        toolbar.addAction(act)
    toolbar.addWidget(QLabel(" on ", objectName="proveOnLabel"))
    toolbar.addWidget(window.prove_on)
    toolbar.addAction(a.cancel)
    toolbar.addSeparator()
    toolbar.addAction(a.open_receipt)
    window.addToolBar(toolbar)
    return a


def _fill_recent(window, menu) -> None:
    menu.clear()
    paths = window.settings.recent_files()
    if not paths:
        menu.addAction("(none yet)").setEnabled(False)
        return
    for path in paths:
        if path.lower().endswith(".zkr"):
            menu.addAction(os.path.basename(path), lambda p=path: window.verify_file(p))
        else:
            menu.addAction(os.path.basename(path), lambda p=path: window.open_program(p))
    menu.addSeparator()
    menu.addAction("Clear list", window.settings.clear_recent_files)
