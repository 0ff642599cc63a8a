"""What the workbench remembers between sessions (QSettings, an INI file per user)."""
from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from engine.runtime.resources import guests_dir

MAX_RECENT = 10


def samples_folder() -> str:
    """The folder of the bundled sample guests (the checkout's or the package's)."""
    return os.path.abspath(guests_dir())


def open_settings() -> QSettings:
    """The workbench's settings file (``~/.config/zkwb/workbench.ini`` on Linux)."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "zkwb", "workbench")


class Settings:
    """Recent files, window geometry, theme, last folder."""

    def __init__(self) -> None:
        self._q = open_settings()

    def recent_files(self) -> list[str]:
        """Recently opened files that still exist, most recent first."""
        value = self._q.value("recentFiles", [])
        paths = [value] if isinstance(value, str) else list(value or [])
        return [p for p in paths if isinstance(p, str) and os.path.isfile(p)][:MAX_RECENT]

    def add_recent_file(self, path: str) -> None:
        path = os.path.abspath(path)
        paths = [path] + [p for p in self.recent_files() if p != path]
        self._q.setValue("recentFiles", paths[:MAX_RECENT])

    def clear_recent_files(self) -> None:
        self._q.setValue("recentFiles", [])

    def geometry(self) -> QByteArray | None:
        value = self._q.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self._q.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._q.setValue("window/geometry", geometry)
        self._q.setValue("window/state", state)

    def theme(self) -> str:
        return str(self._q.value("theme", "system"))

    def set_theme(self, name: str) -> None:
        self._q.setValue("theme", name)

    def last_folder(self) -> str:
        """Where Open starts: the folder of the last file opened, else the samples."""
        folder = str(self._q.value("lastFolder", ""))
        return folder if os.path.isdir(folder) else samples_folder()

    def set_last_folder(self, path: str) -> None:
        self._q.setValue("lastFolder", os.path.dirname(os.path.abspath(path)))

    def last_program(self) -> str | None:
        """The program the user opened last, if it still exists (reopened at start)."""
        path = str(self._q.value("lastProgram", ""))
        return path if path and os.path.isfile(path) else None

    def set_last_program(self, path: str) -> None:
        self._q.setValue("lastProgram", os.path.abspath(path))

    def save_folder(self) -> str:
        """Where a receipt is saved by default: the folder of the last save if it is
        still writable, else Documents, else home. Not ``last_folder``: that is often
        the read-only folder of the bundled samples."""
        documents = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
        for folder in (str(self._q.value("saveFolder", "")), documents):
            if folder and os.path.isdir(folder) and os.access(folder, os.W_OK):
                return folder
        return os.path.expanduser("~")

    def set_save_folder(self, path: str) -> None:
        self._q.setValue("saveFolder", os.path.dirname(os.path.abspath(path)))

    def prove_on(self) -> str:
        """The "Prove on" field's last text ("" for this process)."""
        return str(self._q.value("proveOn", "") or "")

    def set_prove_on(self, text: str) -> None:
        self._q.setValue("proveOn", text)

    def schedulers(self) -> list[str]:
        """Dask scheduler addresses proved on before, most recent first."""
        value = self._q.value("schedulers", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [str(a) for a in items if a][:MAX_RECENT]

    def add_scheduler(self, address: str) -> None:
        items = [address] + [a for a in self.schedulers() if a != address]
        self._q.setValue("schedulers", items[:MAX_RECENT])

    def sync(self) -> None:
        self._q.sync()
