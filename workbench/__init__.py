"""The ZK Workbench desktop application (PySide6). Uses only the engine's public API."""
from workbench._singletons import keep_singletons_alive

keep_singletons_alive()

from workbench.main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow"]
