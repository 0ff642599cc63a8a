"""Layout: no content pushes the window past the screen (issue 16, item 2).

The offscreen platform has no window manager to hold a window inside the screen: a
top-level whose layout needs more room than it has is simply widened. So the window is
sized as a maximized one would be on a 1280×800 and a 1920×1080 screen, every example of
the Examples menu (and samples with long digests and verdicts) is executed, every tab is
shown, and the window must keep within the screen's width, its minimum width too.
"""
from __future__ import annotations

import pytest

from tests.workbench.helpers import execute_and_wait

SCREENS = ((1280, 800), (1920, 1080))


def _examples(window):
    """The actions of the Examples menu, by their text."""
    menu = next(a.menu() for a in window.menuBar().actions() if "xamples" in a.text())
    return [a for a in menu.actions() if not a.isSeparator()]


def _shown_as_maximized(window, qtbot, screen) -> int:
    """Show ``window`` at the size a maximized one has on ``screen`` (its width, height
    less a panel); returns the screen's width."""
    width, height = screen
    window.resize(width, height - 40)
    window.show()
    qtbot.waitExposed(window)
    return width


def _assert_within(window, qapp, width: int, what: str) -> None:
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qapp.processEvents()
        tab = window.tabs.tabText(index)
        assert window.width() <= width, f"{what}, tab {tab}: window {window.width()} px wide"
        assert window.minimumSizeHint().width() <= width, (
            f"{what}, tab {tab}: needs {window.minimumSizeHint().width()} px")


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_example_and_tab_fits_the_screen_after_execute(window, qtbot, qapp, screen):
    width = _shown_as_maximized(window, qtbot, screen)
    _assert_within(window, qapp, width, "at start")
    examples = _examples(window)
    assert examples, "the Examples menu is empty"
    for action in examples:
        action.trigger()
        execute_and_wait(qtbot, window, timeout_ms=120_000)
        _assert_within(window, qapp, width, action.text())
    window.open_sample("sha256")
    execute_and_wait(qtbot, window)
    _assert_within(window, qapp, width, "sha256")


LONG_WORDS = " ".join(["/home/someone/a/very/long/folder/name/that/goes/on/and/on"] * 30)
LONG_WORD = "f" * 3000


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_notices_and_verdicts_do_not_widen_the_window(window, qtbot, qapp, screen):
    """A notice or a verdict of thousands of characters (a long path, a long reason, one
    unbreakable word) grows downwards; it never widens the window (it was measured at
    2,366 px after a long message)."""
    from workbench.model.verdict import VerifySummary
    width = _shown_as_maximized(window, qtbot, screen)
    for text in (LONG_WORDS, LONG_WORD):
        window.notify(f"Could not save {text}", "error")
        window.verify_panel.show_result(VerifySummary(False, f"the seal is malformed: {text}",
                                                      path=f"/tmp/{LONG_WORD[:200]}.zkr"))
        window.results.show_failure("Refused", text)
        _assert_within(window, qapp, width, f"a message of {len(text):,} characters")


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_status_message_ends_before_its_right_hand_label(window, qtbot, qapp, screen):
    width = _shown_as_maximized(window, qtbot, screen)
    bar = window.statusBar()
    label = window.findChild(type(window._program_label), "programLabel")
    assert label is not None and label.isVisible() and label.text()
    bar.showMessage("A hint that goes on and on " * 40)
    qapp.processEvents()
    rect = bar.message_rect()
    assert rect.right() < label.geometry().left(), (rect, label.geometry())
    shown = bar.shown_message()
    assert shown.endswith("…") and bar.fontMetrics().horizontalAdvance(shown) <= rect.width()
    bar.showMessage("Short hint")
    assert bar.shown_message() == "Short hint"
    assert window.width() <= width


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_plots_headers_are_whole_not_cut_off(window, qtbot, qapp, screen):
    """Issue 16, item 5: the line over the trace plot ("… min/max per pixel column
    until zoomed in", "(zero knowledge; …)") and the sentences over the plots wrap to
    their full text instead of being cut at the panel's edge."""
    from PySide6.QtWidgets import QLabel
    _shown_as_maximized(window, qtbot, screen)
    window.open_sample("sha256")
    window.set_private_input(b"x" * 3000)
    execute_and_wait(qtbot, window)
    window.tabs.setCurrentWidget(window.trace_plot)
    qapp.processEvents()
    for name in ("traceCaption", "traceInfo"):
        label = window.trace_plot.findChild(QLabel, name)
        assert label is not None and label.isVisible() and label.text(), name
        assert label.height() >= label.heightForWidth(label.width()), (
            f"{name} is cut: {label.height()} px tall, needs "
            f"{label.heightForWidth(label.width())} for {label.text()!r}")
