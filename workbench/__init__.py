"""The ZK Workbench desktop application (PySide6). Uses only the engine's public API."""
from workbench.main_window import MainWindow

__all__ = ["MainWindow"]
