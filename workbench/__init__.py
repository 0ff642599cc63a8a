"""The ZK Workbench desktop application (PySide6). Uses only the engine's public API.

``MainWindow`` is imported on first use, so the Qt-free modules (``workbench.verdict``,
``workbench.tasks``, ``workbench.formatting``...) can be used, and tested, without Qt.
"""
from __future__ import annotations

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from workbench.main_window import MainWindow
        return MainWindow
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
