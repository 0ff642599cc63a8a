"""File dialogs behind the menu actions; each forwards to the window's automation API."""
from __future__ import annotations

import os

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog

from workbench.views.settings import samples_folder


def ask_open_program(window) -> None:
    dialog = QFileDialog(window, "Open guest program", window.settings.last_folder(),
                         "RISC-V programs (*.elf);;All files (*)")
    dialog.setFileMode(QFileDialog.ExistingFile)
    # The bundled samples one click away, wherever the dialog starts.
    samples = QUrl.fromLocalFile(samples_folder())
    dialog.setSidebarUrls([u for u in dialog.sidebarUrls() if u != samples] + [samples])
    if dialog.exec() and dialog.selectedFiles():
        window.open_program(dialog.selectedFiles()[0])


def ask_verify_receipt(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Verify receipt",
                                          window.settings.last_folder(),
                                          "Receipts (*.zkr);;All files (*)")
    if path:
        window.verify_file(path)


def ask_input_file(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Private input file",
                                          window.settings.last_folder())
    if path:
        message = window.input_panel.load_file(path)
        if message:
            window.notify(message, "error")


def ask_export_trace(window) -> None:
    name = os.path.splitext(window.program.name)[0] if window.program else "trace"
    path, _ = QFileDialog.getSaveFileName(window, "Export trace",
                                          os.path.join(window.settings.save_folder(),
                                                       f"{name}-trace.npz"),
                                          "NumPy archives (*.npz)")
    if path:
        window.export_trace(path if path.endswith(".npz") else path + ".npz")


def ask_export_plot(window) -> None:
    label = window.tabs.tabText(window.tabs.currentIndex()).lower()
    path, _ = QFileDialog.getSaveFileName(window, "Export plot as PNG",
                                          os.path.join(window.settings.save_folder(),
                                                       f"{label}.png"), "PNG images (*.png)")
    if path:
        window.export_plot(path if path.lower().endswith(".png") else path + ".png")


def save_receipt_start(window) -> str:
    """The path the Save receipt dialog proposes: the program's name with .zkr, in a
    writable folder (``Settings.save_folder``)."""
    stem = os.path.splitext(window.program.name)[0] if window.program else "receipt"
    return os.path.join(window.settings.save_folder(), f"{stem}.zkr")


def ask_save_receipt(window) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Save receipt", save_receipt_start(window),
                                          "Receipts (*.zkr)")
    if path:
        window.save_receipt(path if path.endswith(".zkr") else path + ".zkr")
