"""One state, shown once (issue 16, item 3): no panel keeps what a previous task showed.

A walk through the transitions a person makes (execute, prove and cancel, open another
program, verify a junk receipt, verify a real one, open the digit example and leave it)
checks after every step that the widget tree shows only what the session model says:
each visible text of the window is collected, and none may carry a running task's
words once it ended, another program's name, or a message shown twice.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QTabBar,
                               QTextEdit)

from tests.workbench.helpers import cancel_and_wait, execute_and_wait
from tests.workbench_model.receipts import write_receipts
from workbench.model.screen import DONE, screen_of

COLD_CACHE_MS = 600_000
RUNNING_WORDS = ("Proving…", "Verifying…", "Running…", "Executing…", "Cancelling…")
PROGRAMS = ("hello.elf", "sha256.elf", "fibonacci.elf", "digits_mlp.elf")


def visible_texts(window) -> list[tuple[str, str]]:
    """(object name or class, text) of every visible widget that shows text."""
    texts = []
    for widget in window.findChildren(object):
        if not hasattr(widget, "isVisible") or not widget.isVisible():
            continue
        name = widget.objectName() or type(widget).__name__
        if isinstance(widget, (QLabel, QAbstractButton, QLineEdit)):
            text = widget.text()
        elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
            text = widget.toPlainText()
        elif isinstance(widget, QTabBar):
            text = " | ".join(widget.tabText(i) for i in range(widget.count()))
        else:
            continue
        if text:
            texts.append((name, text))
    message = window.statusBar().currentMessage()
    if message:
        texts.append(("statusBar", message))
    return texts


def check_state(window, step: str, others_allowed: tuple[str, ...] = ()) -> None:
    """The window shows the session: nothing of an ended task, of another program (but
    the programs in ``others_allowed``: a receipt's, named in its verdict), or twice."""
    session = window.session
    screen = screen_of(session)
    texts = visible_texts(window)
    assert not window.runner.busy, step
    current = session.program.name
    for name, text in texts:
        for word in RUNNING_WORDS:
            assert word not in text, f"{step}: {name} still says {word!r}: {text!r}"
        for program in PROGRAMS:
            if program != current and program not in others_allowed:
                assert program not in text, f"{step}: {name} names {program}: {text!r}"
    # The panels say what the model derives.
    assert window.progress.text() == screen.progress, step
    if window.query_plot.is_empty():
        assert window.query_plot.message() == screen.queries, step
    if screen.verification is not None:
        assert window.verify_panel.message() == screen.verification, step
        assert window.verify_panel.state() == "", step
    else:
        assert window.verify_panel.state() == session.verdict.verdict().state, step
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert ("Digits" in tabs) == screen.digits, f"{step}: tabs {tabs}"
    outcome = session.last_outcome
    if outcome is not None:
        assert window.results.field("cycles") == f"{outcome.result.cycles:,}", step
    # The phase timeline is the last task's, ended: nothing in it runs, and a program
    # just opened shows none.
    spans = window.phase_timeline.bars.model.spans
    assert all(span.state != "running" for span in spans), f"{step}: a phase still runs"
    if session.task is None:
        assert window.phase_timeline.isHidden() and not spans, f"{step}: old phases shown"
    else:
        assert not window.phase_timeline.isHidden(), f"{step}: the task's phases not shown"
    # One message per event: the banner's message is nowhere else.
    notice = window.notice()
    if notice:
        shown_twice = [name for name, text in texts
                       if text == notice and name not in ("noticeText",)]
        assert not shown_twice, f"{step}: the banner's message is also in {shown_twice}"
    assert not window.statusBar().currentMessage() or \
        window.statusBar().currentMessage() != window.progress.text(), step


def test_no_panel_shows_a_previous_tasks_state(window, qtbot, tmp_path):
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    (tmp_path / "receipts").mkdir()
    receipts = write_receipts(tmp_path / "receipts")
    check_state(window, "at start")

    hello = execute_and_wait(qtbot, window)
    check_state(window, "hello executed")
    assert window.session.task.state == DONE

    # A proof of sha256, cancelled once it has committed its trace.
    window.open_sample("sha256")
    check_state(window, "sha256 opened")
    window.set_private_input(b"x" * 300)
    assert window.start_prove(str(tmp_path / "cancelled.zkr"))
    qtbot.waitUntil(lambda: bool(window.proof_panel.commitments), timeout=COLD_CACHE_MS)
    cancel_and_wait(qtbot, window, window.proveFailed)
    check_state(window, "proof cancelled")
    assert window.results.field("outcome") == "Cancelled"

    # The next execution of the same program: the Queries tab no longer says Proving.
    execute_and_wait(qtbot, window)
    check_state(window, "sha256 executed after the cancel")

    window.open_sample("fibonacci")
    check_state(window, "fibonacci opened")
    fib = execute_and_wait(qtbot, window)
    assert fib["cycles"] != hello["cycles"]
    check_state(window, "fibonacci executed")

    # A junk receipt: rejected before any query; nothing says Verifying afterwards.
    junk = tmp_path / "junk.zkr"
    junk.write_bytes(b"this is not a receipt at all")
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        assert window.verify_file(str(junk))
    assert blocker.args[0] is False
    check_state(window, "junk verified")
    assert window.query_plot.is_empty() and "junk.zkr" in window.query_plot.message()

    # A real receipt of the loaded program, then another program opened: its verdict
    # goes (it was compared with fibonacci).
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        assert window.verify_file(receipts["fibonacci"])
    assert blocker.args[0] is True
    check_state(window, "fibonacci receipt verified")
    assert not window.query_plot.is_empty()
    window.open_sample("hello")
    check_state(window, "hello opened after a verdict")
    assert window.query_plot.is_empty() and window.proof_panel.is_empty()

    # The digit example's tab goes with its program.
    assert window.open_ml_example(0)
    check_state(window, "digit example opened")
    execute_and_wait(qtbot, window, timeout_ms=120_000)
    check_state(window, "digit example executed")
    window.open_sample("sha256")
    check_state(window, "sha256 opened after the digit example")

    # A receipt of another program than the expected one names it, as its verdict.
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS):
        assert window.verify_file(receipts["hello"])
    check_state(window, "hello's receipt against sha256", others_allowed=("hello.elf",))
