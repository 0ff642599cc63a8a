"""Entry point of ``zkwb-workbench``: ``zkwb-workbench [PROGRAM.elf | RECEIPT.zkr]``."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from workbench.main_window import MainWindow, icon_path

    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("ZK Workbench")
    app.setOrganizationName("zkwb")
    app.setDesktopFileName("zkwb-workbench")
    app.setWindowIcon(QIcon(icon_path()))
    window = MainWindow()
    window.show()
    if len(argv) > 1:
        window.handle_dropped_paths(argv[1:2])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
