"""The other application of tests/workbench/test_x11_drag.py: a small window that drags
files out with a real ``QDrag``, as a file manager does (``QMimeData.setUrls``).

``python -m tests.workbench.x11_drag_source X Y`` on the xcb platform shows a 120x120
window at screen position X, Y and reads commands from stdin, one JSON list a line:

``["arm", ACTION, PATH, ...]``
    the next left-button press on the window starts a drag of these files, offered
    for copy, move or link with ACTION (``"copy"`` or ``"move"``) proposed, as a file
    manager proposes move when Shift is held; answers ``{"event": "arm", "center":
    [x, y]}`` (where to press, in screen coordinates).

It writes on stdout, one JSON object a line: ``ready`` (the window is painted, with
its ``center``), ``dragging`` (the drag loop runs: move the pointer now), ``action``
each time the target under the pointer accepts or refuses (``"copy"``/``"ignore"``),
and ``finished`` with the action ``QDrag.exec`` returned (``"ignore"``: no drop).
"""
from __future__ import annotations

import json
import sys

from PySide6.QtCore import QMimeData, QSocketNotifier, Qt, QTimer, QUrl
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QApplication, QWidget

ACTIONS = {Qt.CopyAction: "copy", Qt.MoveAction: "move", Qt.LinkAction: "link",
           Qt.IgnoreAction: "ignore"}
BY_NAME = {name: action for action, name in ACTIONS.items()}


def say(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class Source(QWidget):
    def __init__(self) -> None:
        super().__init__(None, Qt.FramelessWindowHint)
        self.setWindowTitle("drag source")
        self.paths: list[str] = []
        self.proposed = Qt.CopyAction
        self._painted = False

    def center(self) -> list[int]:
        point = self.mapToGlobal(self.rect().center())
        return [point.x(), point.y()]

    def paintEvent(self, _event) -> None:
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, lambda: say("ready", center=self.center()))

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton or not self.paths:
            return
        mime = QMimeData()
        urls = [QUrl.fromLocalFile(path) for path in self.paths]
        mime.setUrls(urls)
        # File managers offer the files as text too (text/plain): a text field that
        # takes the drop itself types their URLs in.
        mime.setText("\n".join(url.toString() for url in urls))
        self.paths = []
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.actionChanged.connect(lambda action: say("action", action=ACTIONS[action]))
        QTimer.singleShot(0, lambda: say("dragging"))    # runs inside exec()'s loop
        result = drag.exec(Qt.CopyAction | Qt.MoveAction | Qt.LinkAction, self.proposed)
        say("finished", action=ACTIONS.get(result, str(result)))


def main() -> int:
    x, y = (int(v) for v in sys.argv[1:3])
    app = QApplication(sys.argv[:1])
    source = Source()
    source.setGeometry(x, y, 120, 120)
    source.show()

    def command() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
            return
        words = json.loads(line)
        if words[0] == "arm" and len(words) > 2 and words[1] in ("copy", "move"):
            source.proposed = BY_NAME[words[1]]
            source.paths = words[2:]
            say("arm", center=source.center())
        else:
            say("error", message=f"unknown command {words!r}")

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Read)
    notifier.activated.connect(command)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
