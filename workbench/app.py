"""Entry point of ``zkwb-workbench``."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from workbench.main_window import MainWindow, icon_path

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("ZK Workbench")
    app.setOrganizationName("zkwb")
    app.setWindowIcon(QIcon(icon_path()))
    window = MainWindow()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
