"""The engine's progress events drive the progress bar, the plots and the proof panel."""
from __future__ import annotations

import numpy as np

from engine.events import (Committed, FriLayers, PhaseFinished, PhaseStarted, Progress,
                           QueryChecked, QueryPositions, TraceReady)
from workbench.model.queries import FAILED, PASSED, PENDING
from workbench.model.verdict import INVALID, UNPINNED, VALID, VerifySummary
from workbench.views import theme
from workbench.views.trace_plot import PC


def _stream():
    columns = np.arange(3 * 64, dtype=np.uint32).reshape(3, 64)
    columns.flags.writeable = False
    yield TraceReady(("x", "sq", "mult"), columns)
    for phase in ("commit main", "quotient"):
        yield PhaseStarted(phase)
        yield Progress(phase, 0.5)
        yield Committed(phase.split()[-1], bytes(range(32)))
        yield PhaseFinished(phase, 0.25)
    yield FriLayers((256, 64, 16))
    yield QueryPositions(np.array([3, 70, 200, 255]), 256)
    yield QueryChecked(0, 3, True)
    yield QueryChecked(1, 70, False)


def _run_events(window, qtbot, events):
    def task(report, cancel):
        for event in events:
            report(event)
        return "done"
    with qtbot.waitSignal(window.runner.succeeded, timeout=5_000):
        window.proof_panel.begin("Proof")
        window.query_plot.reset()
        window.progress.begin("Proving")
        assert window.runner.start("replay", task)


def test_events_fill_the_trace_queries_and_timings(window, qtbot):
    _run_events(window, qtbot, list(_stream()))
    view = window.trace_plot.view
    assert view.source == "proof" and view.names == ["x", "sq", "mult"] and view.rows == 64
    assert window.trace_plot.plot_items()
    plot = window.query_plot
    assert not plot.is_empty()
    queries = plot.queries
    assert queries.domain_size == 256 and queries.layer_sizes == [256, 64, 16]
    assert queries.positions.tolist() == [3, 70, 200, 255]
    assert queries.status.tolist() == [PASSED, FAILED, PENDING, PENDING]
    assert "4 queries · 1 passed, 1 FAILED" in plot.summary()
    panel = window.proof_panel
    assert panel.timings == [("commit main", 0.25), ("quotient", 0.25)]
    assert [name for name, _ in panel.commitments] == ["main", "quotient"]


def test_a_machine_trace_plots_its_pc(window, qtbot):
    columns = np.zeros((2, 256), dtype=np.uint32)
    columns[0] = 0x10000 + 4 * np.arange(256)
    _run_events(window, qtbot, [TraceReady(("cpu.pc", "op.add"), columns)])
    plot = window.trace_plot
    assert PC in plot.available_kinds()
    plot.set_kind(PC)
    assert plot.plot_items() and "committed trace: 256 rows" in plot.info()
    plot.select_cycle(3)
    assert window.disassembly.pc == 0x1000C


def test_query_plot_explains_itself_before_any_proof(window):
    assert window.query_plot.is_empty()
    assert "query positions" in window.query_plot.message()


def test_verify_panel_shows_verdict_claim_and_image_id_match(window):
    colors = theme.plot_colors()
    panel = window.verify_panel
    panel.show_result(VerifySummary(True, "", "a.zkr", "ab" * 32, "ab" * 32, b"42\n", 0,
                                    101.5, 1 << 16, 123_456, 0.012, program_name="a.elf",
                                    expected_name="a.elf"))
    assert panel.message() == "✔ Valid: a.elf, the expected program, produced this claim"
    assert panel.state() == VALID and panel.verdict_color() == colors["passed"]
    assert "matches the expected a.elf" in panel.field("image")
    assert panel.journal_text() == "42\n"
    panel.show_result(VerifySummary(False, "journal does not match", image_id_hex="cd" * 32,
                                    expected_image_id_hex="ab" * 32))
    assert panel.message().startswith("✘ Invalid: the receipt is for image cdcdcdcdcdcd…")
    assert panel.state() == INVALID and panel.verdict_color() == colors["failed"]
    assert "does NOT match" in panel.field("image")
    panel.show_result(VerifySummary(True, "", "a.zkr", "ab" * 32))
    assert panel.message() == ("Valid proof of program abababababab…ababab; not compared with "
                               "an expected program")
    assert panel.state() == UNPINNED and panel.verdict_color() == colors["neutral"]
    panel.show_message("Verifying…")
    assert panel.state() == "" and panel.verdict_color() == ""


def test_a_phase_that_reports_fractions_has_a_determinate_bar_from_its_start(window, qtbot):
    """Issue 16: every STARK phase reports its fraction, so its bar is determinate (not
    busy) from its start and shows the engine's fraction; a phase that reports none
    (executing) is busy without an estimate."""
    import queue

    from workbench.model.phases import REPORTS_FRACTION, phase_label
    from workbench.views.progress_panel import STEPS
    steps: queue.Queue = queue.Queue()

    def task(report, cancel):
        while True:
            try:
                event = steps.get(timeout=0.01)
            except queue.Empty:
                cancel.raise_if_cancelled()
                continue
            if event is None:
                return "done"
            report(event)

    bar = window.progress.bar
    window.progress.begin("Proving")
    assert window.runner.start("replay", task)
    steps.put(PhaseStarted("execute"))
    qtbot.waitUntil(lambda: window.progress.text().startswith(phase_label("execute")))
    assert bar.maximum() == 0, "a phase with no fraction and no estimate is busy"
    steps.put(PhaseFinished("execute", 0.1))
    for phase in ("check", "commit main", "logup", "quotient"):
        assert phase in REPORTS_FRACTION
        steps.put(PhaseStarted(phase))
        qtbot.waitUntil(lambda phase=phase: window.progress.text().startswith(
            phase_label(phase)))
        assert (bar.maximum(), bar.value()) == (STEPS, 0), phase
        steps.put(Progress(phase, 0.4))
        qtbot.waitUntil(lambda: bar.value() == round(0.4 * STEPS))
        assert bar.maximum() == STEPS
        steps.put(PhaseFinished(phase, 0.2))
    with qtbot.waitSignal(window.runner.succeeded, timeout=5_000):
        steps.put(None)
