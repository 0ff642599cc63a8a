"""Prove in a worker, save the receipt, drop it back: Valid; tampered: Invalid for its
reason; cancel.

Timeouts are generous: on a machine without Numba's cache the first proof compiles
the prover's kernels for minutes. With a warm cache these tests take ~15 s. Cancel
and responsiveness are timed from the event (the cancel request; the proof's start
once its kernels are compiled).
"""
from __future__ import annotations

import os
import time

from engine.receipt import decode_receipt, encode_receipt
from tests.receipt_edits import with_journal
from tests.workbench.helpers import (CANCEL_LATENCY_S, LONGEST_GAP_S, Ticks,
                                     assert_shown_rejection, cancel_and_wait, drop_files,
                                     execute_and_wait)
from workbench.model import tasks
from workbench.model.queries import PASSED
from workbench.model.verdict import UNPINNED, VALID, short_image_id

COLD_CACHE_MS = 600_000
EXPECTED_HELLO = "Valid: hello.elf, the expected program, produced this claim"


def _prove(qtbot, window, path) -> str:
    """Prove, and wait for the automatic check of the fresh receipt too."""
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as checked, \
            qtbot.waitSignal(window.proveFinished, timeout=COLD_CACHE_MS) as blocker:
        assert window.start_prove(str(path))
    assert checked.args[0] is True, checked.args
    return blocker.args[0]


def test_a_fresh_proofs_receipt_is_verified_automatically(window, qtbot, tmp_path):
    window.open_sample("fibonacci")
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as checked, \
            qtbot.waitSignal(window.proveFinished, timeout=COLD_CACHE_MS) as proved:
        assert window.start_prove(str(tmp_path / "fib.zkr"))
    assert checked.args == [True, ("fib.zkr: Valid: fibonacci.elf, the expected program, "
                                   "produced this claim")]
    assert proved.args[0] == str(tmp_path / "fib.zkr")
    assert window.verify_panel.state() == VALID
    assert (window.query_plot.queries.status == PASSED).all()
    # The banner still says where the receipt is, once; the verdict is in its panel.
    assert window.notice().startswith(f"Proved and saved the receipt to {tmp_path / 'fib.zkr'}")
    assert not window.runner.busy and window.actions.prove.isEnabled()


def test_prove_save_and_verify_the_receipt_by_drop(window, qtbot, tmp_path):
    result = execute_and_wait(qtbot, window)              # the hello sample
    path = _prove(qtbot, window, tmp_path / "hello.zkr")
    assert path == str(tmp_path / "hello.zkr") and os.path.getsize(path) > 1000
    receipt = decode_receipt(open(path, "rb").read())
    assert receipt.journal == result["journal"] == b"Hello, ZK Workbench!"
    assert receipt.image_id.hex() == window.program.image_id_hex
    assert window.trace_plot.views.keys() == {"proof", "execution"}
    assert {"commit main", "fri"} <= {name for name, _ in window.proof_panel.timings}
    assert [name for name, _ in window.proof_panel.commitments][:3] == ["preprocessed", "stage0",
                                                                       "main"]
    queries = window.query_plot.queries
    assert queries.positions.size >= 43 and window.actions.save_receipt.isEnabled()
    layers_proved = list(queries.layer_sizes)

    # hello is the sample shown at start, not a program the user chose: unpinned.
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        drop_files(window, path)
    valid, summary = blocker.args
    assert valid is True and summary.startswith("hello.zkr: Valid proof of program hello.elf")
    panel = window.verify_panel
    assert panel.state() == UNPINNED and "✔" not in panel.message()
    assert panel.message().endswith("; not compared with an expected program")
    assert panel.journal_text() == "Hello, ZK Workbench!"
    assert (queries.status == PASSED).all()
    assert queries.layer_sizes == layers_proved      # the verifier's view folds too

    # Chosen from the menu, it is the expected program: Valid, green.
    window.open_sample("hello")
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        drop_files(window, path)
    assert blocker.args == [True, f"hello.zkr: {EXPECTED_HELLO}"]
    assert panel.message() == f"✔ {EXPECTED_HELLO}"
    assert panel.state() == VALID
    assert "matches the expected hello.elf" in panel.field("image")

    # The Save dialog proposes the program's name in a writable folder, not the
    # samples' folder the last Open used; then the folder of the last save.
    from workbench.views.dialogs import save_receipt_start
    start = save_receipt_start(window)
    assert os.path.basename(start) == "hello.zkr"
    assert os.path.dirname(start) != window.settings.last_folder()
    assert os.access(os.path.dirname(start), os.W_OK)
    copy = tmp_path / "copy.zkr"
    assert window.save_receipt(str(copy))
    assert copy.read_bytes() == open(path, "rb").read()
    assert save_receipt_start(window) == str(tmp_path / "hello.zkr")


def test_a_tampered_receipt_dropped_shows_invalid_with_a_reason(window, qtbot, tmp_path):
    path = _prove(qtbot, window, tmp_path / "hello.zkr")
    receipt = decode_receipt(open(path, "rb").read())
    forged = with_journal(receipt, b"Hello, ZK Workbench?")
    bad = tmp_path / "forged.zkr"
    bad.write_bytes(encode_receipt(forged))
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        drop_files(window, str(bad))
    valid, summary = blocker.args
    # Rejected by a check (the seals are bound to the claim), not by a verifier that
    # raised.
    reason = "its segments were proved for another claim"
    assert valid is False and summary.startswith("forged.zkr: Invalid: ")
    assert_shown_rejection(summary, reason)
    assert window.verify_panel.message().startswith("✘ Invalid: ")
    assert_shown_rejection(window.verify_panel.message(), reason)
    assert window.verify_panel.journal_text() == "Hello, ZK Workbench?"


def test_a_receipt_for_another_program_is_invalid_and_names_both(window, qtbot, tmp_path):
    hello = window.program
    path = _prove(qtbot, window, tmp_path / "hello.zkr")
    window.open_sample("fibonacci")
    fibonacci = window.program
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        window.verify_file(path)
    reason = (f"the receipt is for hello.elf (image {short_image_id(hello.image_id_hex)}), "
              f"not the expected fibonacci.elf (image "
              f"{short_image_id(fibonacci.image_id_hex)})")
    assert blocker.args == [False, f"hello.zkr: Invalid: {reason}"]
    assert window.verify_panel.message() == f"✘ Invalid: {reason}"
    assert "does NOT match" in window.verify_panel.field("image")
    window.verify_panel.pin_image_id(hello.image_id_hex)
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        window.verify_file(path)
    assert blocker.args == [True, f"hello.zkr: {EXPECTED_HELLO}"]


def test_cancel_mid_proof_writes_no_receipt_and_leaves_the_window_usable(window, qtbot,
                                                                          tmp_path):
    _prove(qtbot, window, tmp_path / "warm.zkr")          # kernels compiled before timing
    window.open_sample("sha256")
    window.set_private_input(b"x" * 300)                  # a 2^15-row proof, a few seconds
    target = tmp_path / "cancelled.zkr"
    window.start_prove(str(target))
    qtbot.waitUntil(lambda: bool(window.proof_panel.commitments), timeout=COLD_CACHE_MS)
    # Mid-proof: the prover polls the token between chunks of each phase and stops
    # (within a fraction of a second on a quiet machine); had it not, the proof would
    # end in proveFinished, and this wait would fail.
    args, latency = cancel_and_wait(qtbot, window, window.proveFailed)
    assert args[0] == "Cancelled: no receipt was written." and not target.exists()
    assert latency < CANCEL_LATENCY_S, f"the cancel took {latency:.1f} s"
    assert sorted(p.name for p in tmp_path.glob("*.zkr")) == ["warm.zkr"]
    assert not window.runner.busy and window.actions.prove.isEnabled()
    window.set_private_input(b"abc")
    assert execute_and_wait(qtbot, window)["journal"].startswith(b"ba7816bf")


def test_event_loop_stays_responsive_during_a_proof(window, qtbot, tmp_path):
    window.open_sample("sha256")
    # Long enough (a 2^16-row trace, seconds) that the ticks cover every phase even
    # when the kernels are warm.
    window.set_private_input(b"x" * 650)
    # Proved once first, so that every kernel this size of proof uses is compiled:
    # Numba holds the GIL while it compiles (seconds, on a cold cache), which is not
    # what this test measures. The tiny warm-up proof does not compile them all.
    _prove(qtbot, window, tmp_path / "warm.zkr")
    ticks = Ticks()
    ticks.start()                       # from the proof's start: its kernels are compiled
    started = time.perf_counter()
    _prove(qtbot, window, tmp_path / "sha.zkr")
    ticks.stop()
    seconds = time.perf_counter() - started
    print(f"longest gap between 10 ms ticks while proving: {ticks.longest_gap() * 1000:.0f} "
          f"ms over {len(ticks)} ticks in {seconds:.1f} s")
    assert len(ticks) >= 20 * seconds, f"the loop turned {len(ticks)} times in {seconds:.1f} s"
    assert ticks.longest_gap() < LONGEST_GAP_S, \
        f"the GUI stalled for {ticks.longest_gap() * 1000:.0f} ms"


def test_first_proof_compiles_the_prover_as_a_phase_of_its_own(monkeypatch):
    from engine.events import CancelToken, PhaseStarted
    monkeypatch.setattr(tasks, "_prover_warm", False)
    events = []
    tasks.warm_up_prover(events.append, CancelToken())
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == ["compile prover"]
    events.clear()
    tasks.warm_up_prover(events.append, CancelToken())
    assert events == []


def test_without_a_path_the_receipt_goes_to_the_users_receipts_folder(window, qtbot, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS), \
            qtbot.waitSignal(window.proveFinished, timeout=COLD_CACHE_MS) as blocker:
        assert window.start_prove()
    path = blocker.args[0]
    assert os.path.dirname(path) == str(tmp_path / "data" / "zkwb" / "receipts")
    assert os.path.basename(path).startswith("hello-") and path.endswith(".zkr")
    assert os.path.getsize(path) > 1000


def test_quitting_mid_proof_asks_and_no_keeps_the_proof(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    asked: list[str] = []

    def answer(reply):
        def question(_parent, title, text, *_args):
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    window.show()
    assert window.request_quit() is True            # idle: quits without asking
    assert asked == [] and not window.isVisible()
    window.show()
    window.open_sample("sha256")
    window.set_private_input(b"x" * 300)
    target = tmp_path / "kept.zkr"
    window.start_prove(str(target))
    qtbot.waitUntil(lambda: window.runner.task_name == "prove", timeout=COLD_CACHE_MS)
    window.actions.quit.trigger()
    assert len(asked) == 1 and "proof is running" in asked[0]
    assert window.isVisible() and window.runner.task_name == "prove"
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    window.actions.quit.trigger()
    assert len(asked) == 2 and not window.isVisible()
    assert not window.runner.busy or window.runner.cancel_requested
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=COLD_CACHE_MS)
    assert not target.exists()


def test_a_proof_is_watchable_from_the_moment_its_height_is_known(window, qtbot, tmp_path):
    """Issue 16, item 1: the Queries tab draws the LDE domain and the FRI layers within
    1 s of the trace's height being known (the execute phase's end), long before FRI;
    the Execution panel shows the cycles then, not "–" until the proof ends."""
    from engine.events import FriLayers, SegmentsPlanned, TraceReady
    window.open_sample("sha256")
    window.set_private_input(b"x" * 300)
    known, fri = [], []

    def on_event(event) -> None:
        if isinstance(event, (SegmentsPlanned, TraceReady)) and not known:
            known.append((window.query_plot.is_empty(), window.results.field("cycles")))
        if isinstance(event, FriLayers):
            fri.append(tuple(event.sizes))

    window.runner.event.connect(on_event)
    try:
        # The proof, and the automatic check of its receipt after it.
        with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS):
            assert window.start_prove(str(tmp_path / "sha.zkr"))
            qtbot.waitUntil(lambda: bool(known), timeout=COLD_CACHE_MS)
            assert not fri, "FRI had already begun: nothing shows the early drawing"
            qtbot.waitUntil(lambda: not window.query_plot.is_empty(), timeout=1_000)
            layers = list(window.query_plot.queries.layer_sizes)
            assert len(layers) > 1 and layers[0] >= 4 * 1024
            qtbot.waitUntil(lambda: window.results.field("cycles") != "–", timeout=1_000)
            assert "proving" in window.results.field("outcome")
    finally:
        window.runner.event.disconnect(on_event)
    assert fri and list(fri[0]) == layers, "the layers drawn early are FRI's own"


def test_a_second_proof_of_a_size_shows_its_time_left_and_phase_fractions(window, qtbot,
                                                                          tmp_path):
    """Issue 16, item 1: with the last proof of the same height as the estimate, the
    phases without a fraction of their own have a determinate bar, and the time left
    is shown."""
    window.open_sample("sha256")
    window.set_private_input(b"x" * 300)
    _prove(qtbot, window, tmp_path / "first.zkr")
    assert window.outcomes.phase_clock.last, "the first proof left no estimate"
    seen: list[tuple[str, int]] = []

    def on_tick(_elapsed) -> None:
        if window.runner.task_name == "prove":
            seen.append((window.progress.eta_text(), window.progress.bar.maximum()))

    window.runner.tick.connect(on_tick)
    try:
        _prove(qtbot, window, tmp_path / "second.zkr")
    finally:
        window.runner.tick.disconnect(on_tick)
    assert any(text.endswith("left (as the last proof this size)") for text, _ in seen), seen
    # A determinate bar (maximum > 0) at every tick once the height is known and an
    # estimate exists, but for a phase without one.
    assert sum(maximum > 0 for _, maximum in seen) > len(seen) // 2, seen
