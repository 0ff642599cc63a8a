"""Files dropped anywhere on a window, text fields included, go to one handler."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

_DRAG_EVENTS = (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop)


def taken_as(possible) -> Qt.DropAction | None:
    """How a drop of files is taken: as a copy, else a link, never a move (None when
    the source offers only that). The window only reads the files; a move accepted
    would tell the source, a file manager with Shift held or one that moves by
    default, to delete them."""
    for action in (Qt.CopyAction, Qt.LinkAction):
        if possible & action:
            return action
    return None


class FileDrops(QObject):
    """Accepts file drags on ``window`` and every child that takes drops itself.

    Text fields accept drops of their own (a dropped file would become its URL typed
    into the field); for files, they defer to ``handle(paths)`` like the rest of the
    window. ``paths`` are local paths ("" for a URL that is not a local file). A
    drop is taken as a copy (``taken_as``), whatever action the source proposes.
    """

    def __init__(self, window: QWidget, handle: Callable[[list[str]], None]) -> None:
        super().__init__(window)
        self._handle = handle
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        for widget in window.findChildren(QWidget):
            if widget.acceptDrops():
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in _DRAG_EVENTS or not event.mimeData().hasUrls():
            return False
        action = taken_as(event.possibleActions())
        if action is None:
            event.ignore()
            return True
        event.setDropAction(action)
        event.accept()
        if event.type() == QEvent.Drop:
            self._handle([url.toLocalFile() for url in event.mimeData().urls()])
        return True
