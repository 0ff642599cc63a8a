"""File dialogs behind the menu actions; each forwards to the window's automation API."""
from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog


def ask_open_program(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open guest program",
                                          window.settings.last_folder(),
                                          "RISC-V programs (*.elf);;All files (*)")
    if path:
        window.open_program(path)


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
                                          os.path.join(window.settings.last_folder(),
                                                       f"{name}-trace.npz"),
                                          "NumPy archives (*.npz)")
    if path:
        window.export_trace(path if path.endswith(".npz") else path + ".npz")


def ask_export_plot(window) -> None:
    label = window.tabs.tabText(window.tabs.currentIndex()).lower()
    path, _ = QFileDialog.getSaveFileName(window, "Export plot as PNG",
                                          os.path.join(window.settings.last_folder(),
                                                       f"{label}.png"), "PNG images (*.png)")
    if path:
        window.export_plot(path if path.lower().endswith(".png") else path + ".png")


def ask_save_receipt(window) -> None:
    source = window.last_proof.receipt_path if window.last_proof else "receipt.zkr"
    path, _ = QFileDialog.getSaveFileName(window, "Save receipt",
                                          os.path.join(window.settings.last_folder(),
                                                       os.path.basename(source)),
                                          "Receipts (*.zkr)")
    if path:
        window.save_receipt(path if path.endswith(".zkr") else path + ".zkr")
