"""The ZK Workbench desktop application (PySide6). Uses only the engine's public API.

``workbench.model`` is Qt-free (session state, tasks, trace data, verdicts...);
``workbench.views`` holds the Qt widgets; ``workbench.app`` is the entry point.
``MainWindow`` is imported on first use, so importing ``workbench`` or any
``workbench.model`` module loads no Qt.
"""
from __future__ import annotations

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from workbench.views.main_window import MainWindow
        return MainWindow
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
