"""A proof in segments, as the window shows it: the strip's cells, the time left, the
live plots following the segment being proved. The long runs (37 segments, millions of
cycles) are synthetic events (tests/workbench_model/segment_events.py) reported by a
task in the window's own runner, the path the engine's events take, so that they run
in milliseconds (workbench/screenshots.py shows a real proof in three segments)."""
from __future__ import annotations

import threading

import pytest

from tests.workbench.helpers import cancel_and_wait
from tests.workbench_model.segment_events import ROWS, proof_events, verify_events
from workbench.model.segments import (ESTIMATING, PENDING, PROVEN, PROVING, REJECTED, STOPPED,
                                      VERIFIED)
from workbench.views import theme
from workbench.views.trace_plot import PC

NOW = 1000.0


def start_replay(window, events, name="replay", hold: threading.Event | None = None) -> None:
    """Run a task that reports ``events`` (``(event, now)`` pairs) and then, with
    ``hold``, waits for it to be set or for Cancel, as a proof in progress does."""
    def task(report, cancel):
        for event, _ in events:
            report(event)
        while hold is not None and not hold.wait(0.005):
            cancel.raise_if_cancelled()
        return "done"
    window.proof_panel.begin("Proof of long.elf")
    window.query_plot.reset()
    window.progress.begin("Proving")
    assert window.runner.start(name, task)


def run_replay(window, qtbot, events) -> None:
    with qtbot.waitSignal(window.runner.succeeded, timeout=10_000):
        start_replay(window, events)


@pytest.fixture
def frozen(window):
    """The window's clock stands still: the time left depends on the events alone."""
    window.outcomes.clock = lambda: NOW
    return window


def test_a_proof_in_37_segments_shows_each_segments_state_and_the_time_left(frozen, qtbot):
    window = frozen
    hold = threading.Event()
    start_replay(window, list(proof_events(37, 37_000_000, stop_after=12)), "prove", hold)
    strip, progress = window.segment_strip, window.progress
    qtbot.waitUntil(lambda: progress.text().startswith("Segment 13 of 37 · Committing"))
    assert not strip.isHidden()
    assert strip.cell_states() == [PROVEN] * 12 + [PROVING] + [PENDING] * 24
    colors = theme.plot_colors()
    assert strip.cell_color(0) == colors["neutral"] and strip.cell_color(12) == colors["accent"]
    assert strip.cell_color(30) == colors["muted"]
    assert strip.cell_tooltip(0) == ("Segment 1 of 37 · proven · cycles 0–999,999 (1,000,000) "
                                     "· proved in 10.0 s")
    assert strip.cell_tooltip(12).startswith("Segment 13 of 37 · being proved")
    assert strip.summary() == ("Proving segment 13 of 37 · 12 of 37 segments proven "
                               "(12,000,000 of 37,000,000 cycles)")
    assert "proven" in strip.legend() and "being proved" in strip.legend()
    # 25 segments of 1,000,000 cycles left at the 100,000 cycles/s of the 12 proven.
    qtbot.waitUntil(lambda: progress.eta_text() == "about 4 min 10 s left")
    # The live plots show segment 13's trace and, in the Queries tab, its LDE domain and
    # layers (drawn from its trace's height; no queries before its FRI), each alone.
    plot = window.trace_plot
    assert list(plot.views) == ["proof"] and plot.view.rows == ROWS
    assert plot.view.columns["segment"][0] == 12 and plot.view.segment == "segment 13 of 37"
    plot.set_kind(PC)
    assert "committed trace of segment 13 of 37" in plot.info()
    assert window.query_plot.summary().startswith("Segment 13 of 37 · LDE domain")
    assert len(window.query_plot.queries.positions) == 0
    panel = window.proof_panel
    assert [name for name, _ in panel.timings] == ["commit main", "quotient", "fri"]
    assert panel.timings[2][1] == pytest.approx(12 * 10 / 3)
    assert panel.commitments == [] and panel.commitments_title() == \
        "Commitments of segment 13 of 37"

    args, _latency = cancel_and_wait(qtbot, window, window.proveFailed)
    assert args == ["Cancelled: no receipt was written."]
    assert strip.cell_states() == [PROVEN] * 12 + [STOPPED] + [PENDING] * 24
    assert strip.summary() == ("Cancelled during segment 13 of 37 · 12 of 37 proven "
                               "(12,000,000 of 37,000,000 cycles)")
    assert "stopped" in strip.legend()
    assert progress.eta_text() == "" and progress.eta.isHidden()
    assert not strip.isHidden()


def test_before_a_segment_finishes_the_time_left_is_being_estimated(frozen, qtbot):
    window = frozen
    hold = threading.Event()
    start_replay(window, list(proof_events(37, 37_000_000, stop_after=0)), "prove", hold)
    qtbot.waitUntil(lambda: window.segment_strip.cell_states()[:1] == [PROVING])
    qtbot.waitUntil(lambda: window.progress.eta_text() == ESTIMATING)
    assert not window.progress.eta.isHidden()
    cancel_and_wait(qtbot, window, window.proveFailed)
    assert window.segment_strip.cell_states()[:2] == [STOPPED, PENDING]


def test_a_finished_proof_in_segments_keeps_the_last_segments_plots_not_all_of_them(frozen,
                                                                                  qtbot):
    window = frozen
    run_replay(window, qtbot, list(proof_events(37, 37_000_000)))
    strip = window.segment_strip
    assert strip.cell_states() == [PROVEN] * 37
    assert strip.summary() == "37 segments proven: 37,000,000 cycles in 6:10 (100.0 kHz)"
    assert window.progress.eta_text() == ""
    view = window.trace_plot.view
    assert view.rows == ROWS and view.columns["segment"][0] == 36
    assert window.query_plot.summary().startswith("Segment 37 of 37 · ")
    assert [round(s, 6) for _, s in window.proof_panel.timings] == [round(37 * 10 / 3, 6)] * 3


def test_a_proof_of_one_segment_shows_no_strip_and_no_estimate(frozen, qtbot):
    window = frozen
    run_replay(window, qtbot, list(proof_events(1, 31_658, seconds_each=2.5)))
    strip = window.segment_strip
    assert strip.isHidden() and strip.cell_states() == [PROVEN]
    assert window.progress.eta_text() == ""
    assert "egment" not in window.progress.text()
    assert window.trace_plot.view.segment == "" and not window.query_plot.summary().startswith(
        "Segment")
    assert window.proof_panel.commitments_title() == "Commitments"


def test_a_verification_with_one_rejected_segment_shows_it_red(window, qtbot):
    run_replay(window, qtbot, list(verify_events(37, rejected=frozenset({4}))))
    strip = window.segment_strip
    assert not strip.isHidden()
    assert strip.cell_states() == [VERIFIED] * 4 + [REJECTED] + [VERIFIED] * 32
    colors = theme.plot_colors()
    assert strip.cell_color(4) == colors["failed"] and strip.cell_color(5) == colors["passed"]
    assert strip.summary() == "Segment 5 of 37 rejected · 36 verified"
    assert strip.cell_tooltip(4) == "Segment 5 of 37 · rejected"
    assert "rejected" in strip.legend() and "not checked yet" in strip.legend()
    assert "being proved" not in strip.legend() and "not proved yet" not in strip.legend()
    assert window.query_plot.summary().startswith("Segment 37 of 37 · ")
    assert window.progress.eta_text() == ""


def test_the_next_task_forgets_the_last_ones_segments(frozen, qtbot):
    window = frozen
    run_replay(window, qtbot, list(proof_events(5, 5_000)))
    assert not window.segment_strip.isHidden()
    run_replay(window, qtbot, [])
    assert window.segment_strip.isHidden() and window.segment_strip.cell_states() == []


def test_the_strip_takes_the_themes_colours(frozen, qtbot):
    window = frozen
    run_replay(window, qtbot, list(proof_events(3, 3_000)))
    strip = window.segment_strip
    window.set_theme(theme.DARK)
    try:
        assert strip.cell_color(0) == theme.plot_colors(dark=True)["neutral"]
        qtbot.waitUntil(lambda: theme.plot_colors(dark=True)["neutral"] in strip.legend())
    finally:
        window.set_theme(theme.LIGHT)
    assert strip.cell_color(0) == theme.plot_colors(dark=False)["neutral"]


def test_a_real_proof_is_one_segment_and_keeps_the_strip_hidden(window, qtbot, tmp_path):
    """The engine's own events today: one segment, planned, proven; the strip stays
    hidden and no time left is shown."""
    window.open_sample("fibonacci")
    segments = window.outcomes.segments
    when_proved = []
    window.proveFinished.connect(lambda _path: when_proved.append(
        (segments.states(), segments.count, segments.cycles)))
    with qtbot.waitSignal(window.verifyFinished, timeout=300_000), \
            qtbot.waitSignal(window.proveFinished, timeout=300_000):   # and its check
        assert window.start_prove(str(tmp_path / "fib.zkr"))
    assert when_proved[0][:2] == ([PROVEN], 1)
    assert when_proved[0][2] == window.last_proof.result.execution.cycles
    assert window.segment_strip.isHidden() and window.progress.eta_text() == ""
    assert window.trace_plot.views["proof"].segment == ""
