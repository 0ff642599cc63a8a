"""A private X server, a pointer driven through XTest, and subprocesses that talk in
JSON lines: what tests/workbench/test_x11_drag.py uses to drag real files between two
processes (X11 drag and drop, XDND), the way a file manager does.

Qt-free: the two Qt programs (``x11_drag_source``, ``x11_drop_target``) run as
subprocesses on the xcb platform; this module only starts them, reads what they say,
and moves and clicks the X server's pointer, which their drag loop follows.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The screen of the private server (the size docs/workbench.md's screenshots use).
SCREEN = (1600, 1000)

# Starting an interpreter that imports NumPy, Numba, Qt and pyqtgraph, a window's first
# paint, a verification: seconds, but much longer on two loaded cores. The bounds only
# stop a hung process; nothing waits for them to pass.
START_TIMEOUT_S = 180.0
STATE_TIMEOUT_S = 120.0


class X11Error(RuntimeError):
    pass


def start_xvfb(xvfb: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Start ``Xvfb`` on a free display (it picks one, ``-displayfd``) and return the
    process and ``":N"`` once it accepts connections (it writes N only then)."""
    read_end, write_end = os.pipe()
    log = open(log_path, "wb")
    try:
        proc = subprocess.Popen(
            [xvfb, "-displayfd", str(write_end), "-screen", "0",
             f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp", "-noreset"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            pass_fds=(write_end,), start_new_session=True)
    finally:
        os.close(write_end)
        log.close()
    try:
        text = _read_all(read_end, START_TIMEOUT_S)
    finally:
        os.close(read_end)
    if not text.strip().isdigit():
        stop(proc)
        raise X11Error(f"Xvfb did not give a display number ({text!r}); its log:\n"
                       f"{_tail(log_path)}")
    return proc, f":{text.strip()}"


def _read_all(fd: int, timeout: float) -> str:
    """What is written on ``fd`` up to its first newline, its end, or ``timeout`` s."""
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in seen and time.monotonic() < deadline:
            if selector.select(max(0.0, min(deadline - time.monotonic(), 1.0))):
                chunk = os.read(fd, 64)
                if not chunk:
                    break                   # Xvfb exited: its end of the pipe closed
                seen += chunk
    return seen.decode(errors="replace")


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError as e:
        return f"(cannot read {path}: {e})"


def stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """End ``proc`` (and its process group): SIGTERM, then SIGKILL after ``grace`` s."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)


class Pointer:
    """The X server's core pointer, moved and clicked through the XTest extension
    (libXtst, through ctypes): real device events, as a mouse would give, which a Qt
    drag loop in any client follows."""

    def __init__(self, display: str) -> None:
        self._x11 = ctypes.CDLL("libX11.so.6")
        self._xtst = ctypes.CDLL("libXtst.so.6")
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._xtst.XTestQueryExtension.argtypes = [ctypes.c_void_p] + \
            [ctypes.POINTER(ctypes.c_int)] * 4
        self._xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                                    ctypes.c_int, ctypes.c_int,
                                                    ctypes.c_ulong]
        self._xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                                    ctypes.c_int, ctypes.c_ulong]
        self._display = self._x11.XOpenDisplay(display.encode())
        if not self._display:
            raise X11Error(f"cannot connect to the X server {display}")
        numbers = [ctypes.c_int() for _ in range(4)]
        if not self._xtst.XTestQueryExtension(self._display,
                                              *(ctypes.byref(n) for n in numbers)):
            self.close()
            raise X11Error(f"the X server {display} has no XTEST extension")
        self.position = (0, 0)

    def move(self, x: int, y: int) -> None:
        """Move to screen coordinates ``x, y``; returns once the server has done it."""
        self._xtst.XTestFakeMotionEvent(self._display, -1, int(x), int(y), 0)
        self._x11.XSync(self._display, 0)
        self.position = (int(x), int(y))

    def glide(self, x: int, y: int, steps: int = 8) -> None:
        """Move to ``x, y`` through ``steps`` points on the way, as a hand would."""
        x0, y0 = self.position
        for i in range(1, steps + 1):
            self.move(x0 + (x - x0) * i // steps, y0 + (y - y0) * i // steps)

    def button(self, pressed: bool, number: int = 1) -> None:
        self._xtst.XTestFakeButtonEvent(self._display, number, int(pressed), 0)
        self._x11.XSync(self._display, 0)

    def close(self) -> None:
        if self._display:
            self._x11.XCloseDisplay(self._display)
            self._display = None


class LineProcess:
    """A subprocess that takes commands on stdin and answers in JSON lines on stdout
    (one object a line, each with an ``"event"``); its stderr goes to a log file."""

    def __init__(self, name: str, module: str, args: list[str], env: dict,
                 log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self.seen: list[dict] = []       # every event read so far, for failure messages
        self._buffer = b""
        self._pending: list[dict] = []
        log = open(log_path, "wb")
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT,
                                         env=env, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log,
                                         start_new_session=True)
        finally:
            log.close()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.proc.stdout.fileno(), selectors.EVENT_READ)

    def send(self, *words: str) -> None:
        """Send one command: its words, JSON-encoded, on one line."""
        self.proc.stdin.write((json.dumps(list(words)) + "\n").encode())
        self.proc.stdin.flush()

    def ask(self, *words: str, event: str | None = None,
            timeout: float = STATE_TIMEOUT_S) -> dict:
        """Send a command and return the answer: the next ``event`` (default: the
        command's first word)."""
        self.send(*words)
        return self.expect(event or words[0], timeout=timeout)

    def expect(self, *events: str, timeout: float = STATE_TIMEOUT_S) -> dict:
        """The next line whose event is one of ``events`` (those before it are kept in
        ``seen``); fails with what the process said and logged if it says ``error``,
        exits, or ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self._pending):
                if message["event"] == "error" and "error" not in events:
                    raise AssertionError(self.report(f"refused a command: {message}"))
                if message["event"] in events:
                    del self._pending[: i + 1]
                    return message
            self._pending.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(self.report(f"did not say {' or '.join(events)} within "
                                                 f"{timeout:.0f} s"))
            self._read(left)

    def _read(self, timeout: float) -> None:
        if not self._selector.select(min(timeout, 1.0)):
            if self.proc.poll() is not None:
                raise AssertionError(self.report(f"exited with status {self.proc.returncode}"))
            return
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            status = self.proc.wait(timeout=30)
            raise AssertionError(self.report(f"exited with status {status}"))
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue                    # not one of its lines: a library's output
            if isinstance(message, dict) and "event" in message:
                self.seen.append(message)
                self._pending.append(message)

    def report(self, what: str) -> str:
        said = "\n".join(json.dumps(m) for m in self.seen[-20:])
        return (f"the {self.name} {what}.\nIts last lines:\n{said}\n"
                f"Its stderr ({self.log_path}):\n{_tail(self.log_path)}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        stop(self.proc)
        self._selector.close()
        self.proc.stdout.close()


def qt_environment(display: str, settings: Path) -> dict:
    """The environment of a Qt subprocess on the private server: xcb, no session bus or
    accessibility to wait for, settings (QSettings, XDG) in ``settings``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("QT_", "WAYLAND_", "XDG_", "DBUS_SESSION"))}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_ACCESSIBILITY="0",
               NO_AT_BRIDGE="1", XDG_CONFIG_HOME=str(settings / "config"),
               XDG_RUNTIME_DIR=str(settings / "runtime"), PYTHONUNBUFFERED="1")
    (settings / "runtime").mkdir(mode=0o700, parents=True, exist_ok=True)
    return env
