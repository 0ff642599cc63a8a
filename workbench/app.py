"""Entry point of ``zkwb-workbench``: ``zkwb-workbench [PROGRAM.elf | RECEIPT.zkr]``.

Options of its own (Qt's, such as ``-platform offscreen``, pass through to Qt):

``--version``
    print the version and exit, without opening a window.
``--quit-after SECONDS``
    close the window that many seconds after it is shown (0: as soon as the event loop
    runs). For smoke tests of an installation and for timing the start-up.

SIGTERM and SIGINT (a session manager logging out, Ctrl+C in the terminal) close the
window the way its close button does: settings are saved, a running task is cancelled,
and the exit status is 0.

Once the window is shown, the file given on the command line handed over and the
signal handlers installed, the first turn of the event loop writes ``READY_LINE``
(``zkwb-workbench: ready``) on stderr: from then on SIGTERM closes the window cleanly.
Tests and scripts that start the workbench wait for that line rather than for a while.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys


def _parser() -> argparse.ArgumentParser:
    from engine import __version__

    parser = argparse.ArgumentParser(
        prog="zkwb-workbench",
        description="ZK Workbench: prove RISC-V programs in zero knowledge and verify receipts. "
                    "Qt's own options (-platform, -style, ...) are passed on to Qt.")
    parser.add_argument("file", nargs="?", metavar="PROGRAM.elf|RECEIPT.zkr",
                        help="a guest to open or a receipt to verify")
    parser.add_argument("--version", action="version", version=f"zkwb-workbench {__version__}")
    parser.add_argument("--quit-after", type=_seconds, metavar="SECONDS",
                        help="close the window SECONDS after it is shown")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("SECONDS must be between 0 and 86400")
    return value


# How long a closed workbench waits for a worker thread before it ends the process.
_EXIT_GRACE_MS = 2000

#: Written on stderr when the window is up and SIGTERM/SIGINT close it cleanly.
READY_LINE = "zkwb-workbench: ready"

# Qt's command-line options that take a value (QGuiApplication, QApplication).
_QT_VALUE_OPTIONS = {"-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-style",
                     "-stylesheet", "-qwindowgeometry", "-geometry", "-qwindowtitle", "-title",
                     "-qwindowicon", "-display", "-session", "-widgetcount"}


def split_qt_options(args: list[str]) -> tuple[list[str], list[str]]:
    """Separate Qt's single-dash options (with their values) from the workbench's own."""
    ours, qt = [], []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _QT_VALUE_OPTIONS and i + 1 < len(args):
            qt += args[i:i + 2]
            i += 2
            continue
        if arg.startswith("-") and not arg.startswith("--") and arg not in ("-", "-h"):
            qt.append(arg)
        else:
            ours.append(arg)
        i += 1
    return ours, qt


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    ours, qt_args = split_qt_options(argv[1:])
    args = _parser().parse_args(ours)

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from workbench.views.main_window import MainWindow, icon_path

    app = QApplication.instance() or QApplication(argv[:1] + qt_args)
    app.setApplicationName("ZK Workbench")
    app.setOrganizationName("zkwb")
    app.setDesktopFileName("zkwb-workbench")
    app.setWindowIcon(QIcon(icon_path()))
    window = MainWindow()
    window.show()
    if args.file:
        window.handle_dropped_paths([args.file])
    opener = file_open_handler(window, app)
    app.installEventFilter(opener)
    restore = _close_on_signals(app)
    # Announced from inside the event loop: a signal that arrives before exec() runs
    # would close the window before there is a loop to quit.
    QTimer.singleShot(0, announce_ready)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    try:
        status = app.exec()
    finally:
        restore()
    if not window.runner.wait_for_threads(_EXIT_GRACE_MS):
        # A task that could not be cancelled in time (a kernel still compiling) is still
        # running in a worker thread. Settings are saved (closeEvent); end the process
        # now rather than tear the interpreter down under that thread.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def announce_ready(stream=None) -> None:
    """Write ``READY_LINE`` on stderr (a windowed launcher may have none: then nothing)."""
    stream = sys.stderr if stream is None else stream
    if stream is None:
        return
    try:
        stream.write(READY_LINE + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def file_open_handler(window, parent):
    """An event filter that opens the files the desktop sends as ``QFileOpenEvent``.

    macOS's Finder hands a double-clicked document (a ``.zkr`` receipt) to a running app,
    and to one it starts for it, as this event, not in ``argv``.
    """
    from PySide6.QtCore import QEvent, QObject

    class _Handler(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.FileOpen:
                path = event.file() or event.url().toLocalFile()
                if path:
                    window.handle_dropped_paths([path])
                    return True
            return False

    return _Handler(parent)


def _close_on_signals(app):
    """Route SIGTERM/SIGINT into the event loop, where they close every window.

    Python runs signal handlers only between bytecodes, which the Qt event loop does not
    execute while it waits; a socket pair set as the wakeup fd wakes it instead.
    Returns a function that puts the previous handlers back.
    """
    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def wake() -> None:
        try:
            reader.recv(64)
        except OSError:
            pass

    notifier.activated.connect(wake)
    previous = {}

    def close_all(signum, frame) -> None:
        app.closeAllWindows()
        app.quit()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, close_all)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        reader.close()
        writer.close()

    return restore


if __name__ == "__main__":
    sys.exit(main())
