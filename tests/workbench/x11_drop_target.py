"""The workbench side of tests/workbench/test_x11_drag.py: the real ``MainWindow`` on
the xcb platform, at a known place on the screen, saying what it receives.

``python -m tests.workbench.x11_drop_target SETTINGS_DIR X Y`` shows the window with its
top-left corner at screen position X, Y (settings in SETTINGS_DIR, as the offscreen
tests keep them) and reads commands from stdin, one JSON list a line:

``["open", SAMPLE]``, ``["input", TEXT]``, ``["ml"]`` (Examples → Private digit
classification), ``["state"]``
    answer with the command's name and what the window then shows (``state()``);
``["execute"]``
    answers ``execute`` once the run has ended and its trace is shown;
``["where", TARGET]``
    shows TARGET's tab and answers ``where``: the screen point at its middle
    (``point``), what is under it (``under``) and whether that is TARGET or inside it
    (``inside``). TARGET is one of ``TARGETS``.

Unasked, it writes ``ready`` (the window is exposed), ``program`` (a program was
opened), ``notice`` (the banner's message), ``verified`` (a receipt check ended),
``drag-enter`` and ``drop`` (which object Qt delivered a drag's events to) and
``dropped`` (a drop has been handled, with the state then).
"""
from __future__ import annotations

import json
import sys

from PySide6.QtCore import QEvent, QObject, QSettings, QSocketNotifier, QTimer
from PySide6.QtGui import QCursor, QWindow
from PySide6.QtWidgets import QApplication, QPlainTextEdit


def say(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def describe(obj) -> str:
    """``Class#objectName`` of ``obj`` and its parents, innermost first."""
    names = []
    while obj is not None:
        names.append(f"{type(obj).__name__}#{obj.objectName()}" if obj.objectName()
                     else type(obj).__name__)
        obj = obj.parent()
    return " < ".join(names)


class DragLog(QObject):
    """Says which object each drag-enter and drop event is delivered to (all of the
    application's objects: Qt hands a drag to the window, which passes it on), and
    ``dropped``, with the window's state, once a drop has been handled."""

    def __init__(self, target) -> None:
        super().__init__()
        self._target = target

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.DragEnter:
            say("drag-enter", receiver=describe(watched))
        elif kind == QEvent.Drop:
            say("drop", receiver=describe(watched))
            if isinstance(watched, QWindow):    # the first to get it: Qt's entry point
                self._target._later("dropped")  # runs once its handling has returned
        return False


class Target:
    TARGETS = ("trace plot", "private input", "digits plot", "digits canvas", "digits index")

    def __init__(self, window) -> None:
        self.w = window
        window.windowTitleChanged.connect(
            lambda _title: say("program", name=window.program.name if window.program else None))
        window.noticeShown.connect(lambda text: say("notice", text=text))
        window.verifyFinished.connect(self._verified)
        window.executeFinished.connect(lambda _result: self._later("execute"))
        window.executeFailed.connect(lambda reason: say("execute", failed=reason,
                                                        **self.state()))

    def state(self) -> dict:
        w = self.w
        tabs = w.tabs
        data = w.private_input()
        return {
            "program": w.program.name if w.program else None,
            "expected": w.expected_program.name if w.expected_program else None,
            "input": data.decode("latin-1"),
            "notice": w.notice(),
            "headline": w.verify_panel.headline(),
            "tabs": [tabs.tabText(i) for i in range(tabs.count())],
            "tab": tabs.tabText(tabs.currentIndex()),
            "claim_status": (w.ml_example.panel.claim_view.status.text()
                             if w.ml_example.panel is not None else None),
            "digit_index": (w.ml_example.panel.index.text()
                            if w.ml_example.panel is not None else None),
            "busy": w.runner.busy,
        }

    def _verified(self, valid: bool, summary: str) -> None:
        say("verified", valid=valid, summary=summary, **self.state())

    def _later(self, event: str, **fields) -> None:
        """Answer ``event`` with the state after the slots and layouts now pending."""
        QTimer.singleShot(0, lambda: say(event, **fields, **self.state()))

    def target_widget(self, name: str):
        w = self.w
        if name == "trace plot":
            w.tabs.setCurrentWidget(w.trace_plot)
            return w.trace_plot.plot
        if name == "private input":
            return w.findChild(QPlainTextEdit, "privateInput")
        panel = w.ml_example.panel
        if panel is None or w.tabs.indexOf(panel) < 0:
            raise ValueError("there is no Digits tab: send [\"ml\"] first")
        w.tabs.setCurrentWidget(panel)
        return {"digits plot": panel.claim_view.plot, "digits canvas": panel.canvas,
                "digits index": panel.index}[name]

    def where(self, name: str) -> None:
        widget = self.target_widget(name)

        def answer() -> None:
            point = widget.mapToGlobal(widget.rect().center())
            under = QApplication.widgetAt(point)
            say("where", target=name, point=[point.x(), point.y()],
                visible=widget.isVisible(), under=describe(under),
                inside=under is not None and (under is widget or widget.isAncestorOf(under)),
                cursor=[QCursor.pos().x(), QCursor.pos().y()])

        widget.window().layout().activate()
        QTimer.singleShot(0, answer)

    def command(self, words: list[str]) -> None:
        name, args = words[0], words[1:]
        w = self.w
        if name == "open":
            w.open_sample(args[0])
            self._later(name)
        elif name == "input":
            w.set_private_input(args[0].encode())
            self._later(name)
        elif name == "ml":
            w.open_ml_example(0)
            self._later(name)
        elif name == "state":
            self._later(name)
        elif name == "execute":
            if not w.start_execute():
                say("execute", failed=w.notice(), **self.state())
        elif name == "where" and args and args[0] in self.TARGETS:
            self.where(args[0])
        else:
            say("error", message=f"unknown command {words!r}")


def main() -> int:
    settings, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = QApplication(sys.argv[:1])
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, settings)
    from workbench import MainWindow

    window = MainWindow()
    target = Target(window)
    log = DragLog(target)
    app.installEventFilter(log)
    window.setGeometry(x, y, 1360, 900)
    window.show()

    def exposed() -> None:
        handle = window.windowHandle()
        if handle is not None and handle.isExposed():
            poll.stop()
            target._later("ready")

    poll = QTimer(interval=20)
    poll.timeout.connect(exposed)
    poll.start()

    def read_command() -> None:
        line = sys.stdin.readline()
        if not line:
            window.close()
            app.quit()
            return
        try:
            target.command(json.loads(line))
        except (ValueError, KeyError, IndexError, TypeError) as e:   # the test fails with it
            say("error", message=f"{type(e).__name__}: {e}")

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Read)
    notifier.activated.connect(read_command)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
