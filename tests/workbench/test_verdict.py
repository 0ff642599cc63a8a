"""The verdict means "the program you expect produced this claim".

A receipt for another image than the expected one is Invalid and names both images; a
receipt checked with no expected program is a neutral "valid proof of program X, not
compared"; only a receipt of the expected program is a green "✔ Valid". The receipts
are real proofs of two small guests, made once for the module; image IDs are read
from the programs, never written down (they change with the circuit).
"""
from __future__ import annotations

import pytest

import engine
from engine.events import CancelToken
from engine.runtime.resources import guest_path
from tests.workbench.helpers import drop_files
from workbench.model import tasks
from workbench.views import theme
from workbench.model.verdict import (INVALID, NOT_COMPARED, UNPINNED, VALID, VerifySummary,
                                     short_image_id, summary_of_check, verdict_of)

COLD_CACHE_MS = 600_000       # the first proof in a process may compile the prover


@pytest.fixture(scope="module")
def programs():
    return {name: engine.load_elf(guest_path(name)) for name in ("fibonacci", "hello")}


@pytest.fixture(scope="module")
def receipts(programs, tmp_path_factory):
    """``{name: path}`` of a receipt of each guest (and a detached one of fibonacci)."""
    folder = tmp_path_factory.mktemp("receipts")
    paths = {}
    for name, data in (("fibonacci", b"10"), ("hello", b"Hello, ZK Workbench!")):
        paths[name] = str(folder / f"{name}.zkr")
        engine.write_receipt(paths[name], engine.prove(programs[name], data).receipt)
    paths["detached"] = str(folder / "fibonacci-detached.zkr")
    engine.write_receipt(paths["detached"],
                         engine.prove(programs["fibonacci"], b"10", detached=True).receipt)
    return paths


def _check(path, expected=None, program=None):
    return tasks.run_receipt_check(path, expected, program, lambda event: None, CancelToken())


def _short(program) -> str:
    return short_image_id(program.image_id_hex)


# -- the model, headless --------------------------------------------------------------

def test_a_receipt_for_another_program_is_invalid_and_names_both_images(programs, receipts):
    fib, hello = programs["fibonacci"], programs["hello"]
    check = _check(receipts["fibonacci"], hello.image_id, hello)
    assert check.valid is False and check.expected_image_id == hello.image_id
    assert check.verification.expected_image_id == hello.image_id    # pinned in the engine
    verdict = summary_of_check(check).verdict()
    assert verdict.state == INVALID and verdict.color_role == "failed"
    assert verdict.headline == (f"✘ Invalid: the receipt is for fibonacci.elf (image "
                                f"{_short(fib)}), not the expected hello.elf (image "
                                f"{_short(hello)})")
    assert verdict.summary == verdict.headline.removeprefix("✘ ")
    assert verdict.image_note == f"does NOT match the expected hello.elf (image {_short(hello)})"


def test_a_receipt_of_the_expected_program_is_valid(programs, receipts):
    fib = programs["fibonacci"]
    check = _check(receipts["fibonacci"], fib.image_id, fib)
    verdict = summary_of_check(check).verdict()
    assert check.valid is True
    assert verdict.state == VALID and verdict.color_role == "passed"
    assert verdict.headline == "✔ Valid: fibonacci.elf, the expected program, produced this claim"
    assert verdict.image_note == "matches the expected fibonacci.elf"


def test_a_receipt_with_no_expected_program_is_checked_unpinned(programs, receipts):
    fib = programs["fibonacci"]
    check = _check(receipts["fibonacci"], None, programs["hello"])
    assert check.valid is True and check.expected_image_id is None
    assert check.verification.expected_image_id is None
    verdict = summary_of_check(check).verdict()
    assert verdict.state == UNPINNED and verdict.color_role == "neutral" and verdict.proven
    assert verdict.headline == (f"Valid proof of program fibonacci.elf (image {_short(fib)}); "
                                f"{NOT_COMPARED}")
    assert "✔" not in verdict.headline and "✘" not in verdict.headline
    assert verdict.image_note == f"{NOT_COMPARED} (none was loaded or pinned)"


def test_an_unknown_program_is_named_by_its_short_image_id():
    image = "0123456789abcdef" * 4
    verdict = verdict_of(VerifySummary(True, "", "x.zkr", image))
    assert verdict.headline == f"Valid proof of program {short_image_id(image)}; {NOT_COMPARED}"
    other = "fedcba9876543210" * 4
    mismatch = verdict_of(VerifySummary(True, "", "x.zkr", image, other))
    assert mismatch.state == INVALID, "a valid seal for another image is still Invalid"
    assert mismatch.headline == (f"✘ Invalid: the receipt is for image {short_image_id(image)}, "
                                 f"not the expected image {short_image_id(other)}")


def test_a_detached_receipt_needs_the_program_it_was_made_for(programs, receipts):
    fib, hello = programs["fibonacci"], programs["hello"]
    wrong = summary_of_check(_check(receipts["detached"], None, hello)).verdict()
    assert wrong.state == INVALID
    assert "the loaded program, hello.elf, is not the one it was made for" in wrong.headline
    right = summary_of_check(_check(receipts["detached"], fib.image_id, fib)).verdict()
    assert right.state == VALID


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
    assert window.notice() == f"fibonacci.zkr: Invalid: {reason}"


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
    window.verify_panel._pinned.setText(fib.image_id_hex)     # start sample loaded
    valid, summary = _verify(window, qtbot, receipts["fibonacci"])
    assert valid is True and window.verify_panel.state() == VALID
    window.verify_panel._pinned.setText(hello.image_id_hex)
    valid, summary = _verify(window, qtbot, receipts["fibonacci"])
    assert valid is False and summary == (
        f"fibonacci.zkr: Invalid: the receipt is for fibonacci.elf (image {_short(fib)}), "
        f"not the expected hello.elf (image {_short(hello)})")


def test_the_verdict_model_needs_no_qt():
    import subprocess
    import sys
    code = ("import sys, workbench.model.verdict, workbench.model.tasks, workbench.model.samples; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'pyqtgraph', 'superqt')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_verification_draws_its_query_marks_together(window, qtbot, receipts):
    import itertools
    import time

    from PySide6.QtCore import QTimer

    from workbench.views.query_plot import PASSED
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
    assert plot.positions.size > 20 and (plot.status == PASSED).all()
    # The layers, the positions, then every mark at once: not one redraw per query
    # (which froze the window for seconds).
    assert plot.draw_count - before <= 4, plot.draw_count - before
    gaps = [b - a for a, b in itertools.pairwise(ticks)] or [0.0]
    print(f"longest gap between 10 ms ticks while verifying: {max(gaps) * 1000:.0f} ms")
