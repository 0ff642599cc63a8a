"""Files dragged from another application onto the workbench, through a real X server.

A private Xvfb; the real ``MainWindow`` in one process (tests/workbench/x11_drop_target),
a window that drags files with a ``QDrag`` in another (x11_drag_source), as a file
manager does; the pointer pressed, moved and released through XTest, so the drag goes
through X11 drag and drop (XDND) between the two, not through synthetic Qt events
(tests/workbench/test_drops.py has those). Every wait is for a line one of the
processes writes.
"""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from engine.runtime.resources import guest_path
from tests.conftest import IN_CI, require_tool
from tests.golden.make_receipts import GOLDEN
from tests.golden.make_receipts import guest_path as golden_guest
from tests.golden.make_receipts import receipt_path
from tests.rejection import assert_rejected
from tests.workbench.x11_session import (START_TIMEOUT_S, LineProcess, Pointer, X11Error,
                                         qt_environment, start_xvfb, stop)

# Where the two windows are (no window manager: exactly there). The source is left of
# the workbench, so the pointer crosses nothing else on its way.
SOURCE_AT = (20, 40)
WINDOW_AT = (200, 40)

# How long the window may take to answer a drag, and to execute or verify (a cold
# Numba cache compiles first): only bounds on a hung process.
ACCEPT_TIMEOUT_S = 120.0
NUDGE_S = 5.0
TASK_TIMEOUT_S = 600.0


class Desk:
    """The screen: the pointer, the workbench and the drag source."""

    def __init__(self, pointer: Pointer, window: LineProcess, source: LineProcess) -> None:
        self.pointer, self.window, self.source = pointer, window, source

    def drag(self, onto: str, *paths: str, proposed: str = "copy") -> list[str]:
        """Drag ``paths`` from the source onto the window's ``onto`` (one of
        ``x11_drop_target.Target.TARGETS``), offered for copy, move or link with
        ``proposed`` proposed, and drop them there; the window must take them as a
        copy. Returns the objects the window's Qt delivered the drop to, in order (its
        window first)."""
        where = self.window.ask("where", onto)
        assert where["visible"] and where["inside"], (
            f"the middle of the {onto} is not the {onto}: {where}")
        mark = len(self.window.seen)
        press_at = self.source.ask("arm", proposed, *map(os.path.abspath, paths))["center"]
        pointer = self.pointer
        pointer.move(*press_at)
        pointer.button(True)
        answer = None
        try:
            self.source.expect("dragging")
            # One move, straight onto the target: the window's first answer (XdndStatus)
            # is about that point. If none comes (a move lost while the drag started),
            # nudge by a pixel and wait again.
            x, y = where["point"]
            pointer.move(x, y)
            for attempt in range(int(ACCEPT_TIMEOUT_S / NUDGE_S)):
                try:
                    answer = self.source.expect("action", timeout=NUDGE_S)
                    break
                except AssertionError:
                    pointer.move(x + 1 - attempt % 2, y)
        finally:
            pointer.button(False)
        finished = self.source.expect("finished")
        assert answer is not None and answer["action"] == "copy" and \
            finished["action"] == "copy", (
            f"the window did not take files dragged onto the {onto} at {where['point']} "
            f"as a copy (under the pointer: {where['under']}); the source saw {answer}, "
            f"then {finished}.\n" + self.window.report("said"))
        # QDrag.exec returns once the drop is sent; the window says when it is handled.
        self.window.expect("dropped")
        return [m["receiver"] for m in self.window.seen[mark:] if m["event"] == "drop"]


def _fail_or_skip(message: str):
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    xvfb = require_tool("Xvfb")
    folder = tmp_path_factory.mktemp("x11")
    server, display = start_xvfb(xvfb, folder / "xvfb.log")
    processes: list[LineProcess] = []
    pointer = None
    try:
        try:
            pointer = Pointer(display)
        except (OSError, X11Error) as e:
            _fail_or_skip(f"cannot drive the pointer through XTest ({e}; scripts/setup "
                          "test installs libxtst6)")
        env = qt_environment(display, folder)
        window = LineProcess("workbench window", "tests.workbench.x11_drop_target",
                             [str(folder / "settings"), *map(str, WINDOW_AT)], env,
                             folder / "window.log")
        processes.append(window)
        source = LineProcess("drag source", "tests.workbench.x11_drag_source",
                             [*map(str, SOURCE_AT)], env, folder / "source.log")
        processes.append(source)
        source.expect("ready", timeout=START_TIMEOUT_S)
        window.expect("ready", timeout=START_TIMEOUT_S)
        yield Desk(pointer, window, source)
    finally:
        for process in processes:
            process.close()
        if pointer is not None:
            pointer.close()
        stop(server)


@pytest.fixture
def receipt():
    """A real receipt (the golden one, of fibonacci.elf) and its guest."""
    name = min(GOLDEN)
    return receipt_path(name), golden_guest(name)


def test_an_elf_dragged_onto_the_trace_plot_opens_the_program(desk):
    desk.window.ask("open", "hello")
    shown = desk.window.ask("execute", timeout=TASK_TIMEOUT_S)   # the plot: hello's trace
    assert shown["program"] == "hello.elf" and "failed" not in shown, shown
    receivers = desk.drag("trace plot", guest_path("sort"))
    # Qt gave it to the plot (the widget under the pointer), which passed it on.
    assert "PlotWidget < QStackedWidget < TracePlot#tracePlot" in receivers[-1], receivers
    state = desk.window.ask("state")
    assert (state["program"], state["expected"]) == ("sort.elf", "sort.elf"), state


def test_a_receipt_dragged_onto_the_trace_plot_is_verified_valid(desk, receipt):
    zkr, elf = receipt
    program = os.path.basename(elf)
    assert desk.window.ask("open", program.removesuffix(".elf"))["expected"] == program
    assert "failed" not in desk.window.ask("execute", timeout=TASK_TIMEOUT_S)
    desk.drag("trace plot", zkr)
    verdict = desk.window.expect("verified", timeout=TASK_TIMEOUT_S)
    assert verdict["valid"] is True, verdict
    assert verdict["headline"].startswith("✔ Valid"), verdict
    assert verdict["summary"].startswith(os.path.basename(zkr)), verdict
    assert verdict["program"] == program, verdict


def test_an_elf_dragged_onto_the_private_input_opens_it_and_keeps_the_input(desk):
    desk.window.ask("open", "hello")
    assert desk.window.ask("input", "my private input")["input"] == "my private input"
    receivers = desk.drag("private input", guest_path("primes"))
    assert "QPlainTextEdit#privateInput" in receivers[-1], receivers
    state = desk.window.ask("state")
    assert state["program"] == "primes.elf", state
    # The file is not typed into the box as its URL, as a plain text field would do.
    assert state["input"] == "my private input", state


def test_junk_dragged_onto_the_private_input_is_refused_and_loses_nothing(desk, tmp_path):
    desk.window.ask("open", "sha256")
    assert desk.window.ask("input", "keep me")["notice"] == ""
    junk = tmp_path / "holiday.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not a program")
    desk.drag("private input", str(junk))
    state = desk.window.ask("state")
    assert state["notice"].startswith("holiday.jpg is neither a guest program (.elf) nor a "
                                      "receipt (.zkr), so it was not opened."), state
    assert "Load input file" in state["notice"]
    assert (state["program"], state["input"]) == ("sha256.elf", "keep me"), state


def test_a_receipt_dragged_onto_the_digits_tab_is_verified_against_its_program(desk,
                                                                             receipt):
    zkr, elf = receipt
    shown = desk.window.ask("ml")
    assert shown["tab"] == "Digits" and shown["program"] == "digits_mlp.elf", shown
    desk.drag("digits canvas", zkr)
    verdict = desk.window.expect("verified", timeout=TASK_TIMEOUT_S)
    # Checked against the program the user opened, the digit classifier: not its image.
    assert_rejected(SimpleNamespace(valid=verdict["valid"], reason=verdict["summary"]),
                    f"the receipt is for {os.path.basename(elf)}")
    assert "not the expected digits_mlp.elf" in verdict["summary"], verdict
    assert verdict["program"] == "digits_mlp.elf" and "Digits" in verdict["tabs"], verdict


def test_an_elf_dragged_onto_the_digits_plot_opens_it_and_the_tab_goes(desk):
    assert desk.window.ask("ml")["tab"] == "Digits"
    desk.drag("digits plot", guest_path("sha256"))
    state = desk.window.ask("state")
    assert state["program"] == "sha256.elf" and "Digits" not in state["tabs"], state


def test_an_elf_dragged_onto_the_digits_tabs_spin_box_opens_it(desk):
    assert desk.window.ask("ml")["tab"] == "Digits"
    desk.drag("digits index", guest_path("hello"))
    state = desk.window.ask("state")
    assert state["program"] == "hello.elf" and "Digits" not in state["tabs"], state


def test_a_file_dragged_for_a_move_is_copied_so_the_file_manager_keeps_it(desk):
    # Shift held in a file manager proposes a move: a window that accepts it tells
    # the file manager to delete the file once dropped. Desk.drag checks it was a copy.
    desk.window.ask("open", "hello")
    assert "failed" not in desk.window.ask("execute", timeout=TASK_TIMEOUT_S)
    desk.drag("trace plot", guest_path("primes"), proposed="move")
    assert desk.window.ask("state")["program"] == "primes.elf"


def test_a_drop_is_taken_as_a_copy_or_a_link_and_never_as_a_move():
    from PySide6.QtCore import Qt

    from workbench.views.drops import taken_as
    every = Qt.CopyAction | Qt.MoveAction | Qt.LinkAction
    assert taken_as(every) == Qt.CopyAction
    assert taken_as(Qt.MoveAction | Qt.LinkAction) == Qt.LinkAction
    assert taken_as(Qt.MoveAction) is None          # refused: the source would delete it
