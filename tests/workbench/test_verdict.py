"""The window shows the verdict: "the program you expect produced this claim".

A receipt for another image than the expected one is Invalid and names both images; a
receipt checked with no expected program is a neutral "valid proof of program X, not
compared"; only a receipt of the expected program is a green "✔ Valid". The verdict
itself is decided, and tested, headless (tests/workbench_model/test_verdict.py); the
receipts are real proofs of two small guests (tests/workbench_model/receipts.py).
"""
from __future__ import annotations

import itertools
import os
import time

import pytest
from PySide6.QtCore import QTimer

from engine.runtime.resources import guest_path
from tests.workbench.helpers import drop_files
from tests.workbench_model.receipts import program, write_receipts
from workbench.model.queries import PASSED
from workbench.model.verdict import INVALID, NOT_COMPARED, UNPINNED, VALID, short_image_id
from workbench.views import theme

COLD_CACHE_MS = 600_000       # the first proof in a process may compile the prover


@pytest.fixture(scope="module")
def programs():
    return {name: program(name) for name in ("fibonacci", "hello")}


@pytest.fixture(scope="module")
def receipts(tmp_path_factory):
    """``{name: path}`` of a receipt of each guest (and a detached one of fibonacci)."""
    return write_receipts(tmp_path_factory.mktemp("receipts"))


def _short(program_) -> str:
    return short_image_id(program_.image_id_hex)


# -- the window -----------------------------------------------------------------------

def _verify(window, qtbot, path):
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        assert window.verify_file(path)
    return blocker.args


def test_window_shows_another_programs_receipt_as_invalid_naming_both(window, qtbot, programs,
                                                                      receipts):
    fib, hello = programs["fibonacci"], programs["hello"]
    window.open_sample("hello")                  # from the menu: the user's choice
    assert window.expected_program.image_id == hello.image_id
    valid, summary = _verify(window, qtbot, receipts["fibonacci"])
    reason = (f"the receipt is for fibonacci.elf (image {_short(fib)}), not the expected "
              f"hello.elf (image {_short(hello)})")
    assert (valid, summary) == (False, f"fibonacci.zkr: Invalid: {reason}")
    panel = window.verify_panel
    assert panel.message() == f"✘ Invalid: {reason}"
    assert panel.state() == INVALID and panel.verdict_color() == theme.plot_colors()["failed"]
    assert "does NOT match the expected hello.elf" in panel.field("image")
    # Told once, in the panel: not in the banner too.
    assert window.notice() == ""
    assert window.progress.text() == "Verification of fibonacci.zkr finished (see Verification)"


def test_window_with_only_the_start_sample_verifies_unpinned(window, qtbot, programs, receipts):
    assert window.program.name == "hello.elf" and window.expected_program is None
    assert window.verify_panel.expected_hint().startswith("none:")
    fib = programs["fibonacci"]
    valid, summary = _verify(window, qtbot, receipts["fibonacci"])
    text = f"Valid proof of program fibonacci.elf (image {_short(fib)}); {NOT_COMPARED}"
    assert (valid, summary) == (True, f"fibonacci.zkr: {text}")
    panel = window.verify_panel
    assert panel.message() == text and "✔" not in panel.message()
    assert panel.state() == UNPINNED
    assert panel.verdict_color() == theme.plot_colors()["neutral"]
    assert panel.verdict_color() != theme.plot_colors()["passed"]
    # Even a receipt of the start sample itself is not compared with it.
    valid, summary = _verify(window, qtbot, receipts["hello"])
    assert valid is True and NOT_COMPARED in summary and panel.state() == UNPINNED


def test_window_shows_the_loaded_programs_receipt_as_green_valid(window, qtbot, receipts):
    assert drop_files(window, guest_path("fibonacci"))       # a dropped ELF is expected
    assert window.expected_program.name == "fibonacci.elf"
    assert window.verify_panel.expected_hint().startswith("fibonacci.elf's")
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        drop_files(window, receipts["fibonacci"])
    text = "Valid: fibonacci.elf, the expected program, produced this claim"
    assert blocker.args == [True, f"fibonacci.zkr: {text}"]
    panel = window.verify_panel
    assert panel.message() == f"✔ {text}" and panel.state() == VALID
    assert panel.verdict_color() == theme.plot_colors()["passed"]
    assert "matches the expected fibonacci.elf" in panel.field("image")


def test_a_pinned_image_id_is_the_expected_one(window, qtbot, programs, receipts):
    fib, hello = programs["fibonacci"], programs["hello"]
    window.verify_panel.pin_image_id(fib.image_id_hex)     # start sample loaded
    valid, summary = _verify(window, qtbot, receipts["fibonacci"])
    assert valid is True and window.verify_panel.state() == VALID
    window.verify_panel.pin_image_id(hello.image_id_hex)
    valid, summary = _verify(window, qtbot, receipts["fibonacci"])
    assert valid is False and summary == (
        f"fibonacci.zkr: Invalid: the receipt is for fibonacci.elf (image {_short(fib)}), "
        f"not the expected hello.elf (image {_short(hello)})")


def test_a_verification_draws_its_query_marks_together(window, qtbot, receipts):
    _verify(window, qtbot, receipts["fibonacci"])             # compiled, cached
    before = window.query_plot.draw_count
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    _verify(window, qtbot, receipts["fibonacci"])
    qtbot.waitUntil(lambda: not window.query_plot.redraw_pending(), timeout=60_000)
    timer.stop()
    plot = window.query_plot
    assert plot.queries.positions.size > 20 and (plot.queries.status == PASSED).all()
    # The layers, the positions, then every mark at once: not one redraw per query
    # (which froze the window for seconds).
    assert plot.draw_count - before <= 4, plot.draw_count - before
    gaps = [b - a for a, b in itertools.pairwise(ticks)] or [0.0]
    print(f"longest gap between 10 ms ticks while verifying: {max(gaps) * 1000:.0f} ms")


def test_only_receipts_that_decode_become_recent_files(window, qtbot, receipts, tmp_path):
    from workbench.views.settings import Settings
    junk = tmp_path / "junk.zkr"
    junk.write_bytes(b"not a receipt at all")
    proven, _ = _verify(window, qtbot, str(junk))
    assert not proven
    assert str(junk) not in Settings().recent_files()
    proven, _ = _verify(window, qtbot, receipts["hello"])
    assert os.path.abspath(receipts["hello"]) in Settings().recent_files()
