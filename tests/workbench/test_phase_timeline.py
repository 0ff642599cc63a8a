"""The phase timeline in the window: a bar per phase as the task runs, each as long as
its phase took, named where it fits, explained in its tooltip; a bar per segment for a
proof in several; gone when the next task starts or another program opens; the
theme's colours. Synthetic events reported by a task in the window's own runner (the
path the engine's events take); one real proof checks the phases a proof shows."""
from __future__ import annotations

import itertools
import threading

import pytest

from engine.events import PhaseFinished, PhaseStarted, Progress
from tests.workbench.helpers import execute_and_wait
from tests.workbench_model.segment_events import proof_events
from workbench.model.timeline import RUNNING, SEGMENTS, STOPPED
from workbench.views import theme

NOW = 1000.0
PROOF_PHASES = [("execute", 0.2), ("check", 1.0), ("preprocessed", 0.1),
                ("commit main", 1.3), ("logup", 1.1), ("quotient", 2.5), ("open", 0.5),
                ("fri", 0.2)]


def phase_events(phases):
    for phase, seconds in phases:
        yield PhaseStarted(phase)
        yield Progress(phase, 0.5)
        yield PhaseFinished(phase, seconds)


def start_replay(window, events, name: str = "replay",
                 hold: threading.Event | None = None) -> None:
    """Run a task that reports ``events`` and then, with ``hold``, waits for it to be
    set or for Cancel."""
    def task(report, cancel):
        for event in events:
            report(event)
        while hold is not None and not hold.wait(0.005):
            cancel.raise_if_cancelled()
        return "done"
    window.progress.begin("Working")
    assert window.runner.start(name, task)


def run_replay(window, qtbot, events) -> None:
    with qtbot.waitSignal(window.runner.succeeded, timeout=10_000):
        start_replay(window, list(events))


@pytest.fixture
def frozen(window):
    """The window's clock stands still: the bars' lengths are the events' seconds."""
    window.outcomes.clock = lambda: NOW
    window.resize(1280, 700)
    window.show()
    return window


def test_each_phase_is_a_bar_as_long_as_it_took_named_where_it_fits(frozen, qtbot):
    window = frozen
    strip = window.phase_timeline
    assert strip.isHidden(), "no task has run: no timeline"
    run_replay(window, qtbot, phase_events(PROOF_PHASES))
    assert not strip.isHidden()
    assert strip.phases() == [p for p, _ in PROOF_PHASES]
    widths = strip.bar_widths()
    # lengths in proportion to the seconds, the whole strip's width for the whole task
    total = sum(s for _, s in PROOF_PHASES)
    scale = (strip.bars.width() - 2) / total
    for (phase, seconds), width in zip(PROOF_PHASES, widths):
        assert width == pytest.approx(seconds * scale, abs=0.01), phase
    texts = dict(zip(strip.phases(), strip.bar_texts()))
    assert texts["quotient"] == "Quotient 2.5 s" and texts["commit main"] == "Commit trace 1.3 s"
    assert texts["preprocessed"] in ("", "Fixed tables")   # too short for its seconds
    tooltip = strip.bar_tooltip(3)
    assert tooltip.startswith("Committing the trace · took 1.3 s")
    # Hovering the bar shows that text (the strips' shared tooltip handler).
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip
    bars = strip.bars
    rect = bars.bar_rect(bars.model.spans[3])
    at = QPoint(int(rect.center().x()), int(rect.center().y()))
    assert bars.event(QHelpEvent(QEvent.ToolTip, at, bars.mapToGlobal(at)))
    qtbot.waitUntil(lambda: QToolTip.text() == tooltip)
    assert window.width() <= 1280


def test_the_running_phase_grows_and_a_cancel_stops_it(window, qtbot):
    clock = [NOW]
    window.outcomes.clock = lambda: clock[0]
    hold = threading.Event()
    start_replay(window, [PhaseStarted("execute"), PhaseFinished("execute", 0.5),
                          PhaseStarted("commit main")], "replay", hold)
    strip = window.phase_timeline
    qtbot.waitUntil(lambda: strip.phases() == ["execute", "commit main"])
    running = strip.bars.model.spans[-1]
    assert running.state == RUNNING
    clock[0] = NOW + 3.0
    qtbot.waitUntil(lambda: strip.bars.now == NOW + 3.0)     # the next tick redraws it
    assert strip.bar_widths()[1] > strip.bar_widths()[0]
    with qtbot.waitSignal(window.runner.failed, timeout=10_000):
        window.cancel()
    assert strip.bars.model.spans[-1].state == STOPPED
    assert "stopped after" in strip.bar_tooltip(1)


def test_a_proof_in_segments_has_a_bar_per_segment(frozen, qtbot):
    window = frozen
    run_replay(window, qtbot, (event for event, _ in proof_events(37, 37_000_000)))
    strip = window.phase_timeline
    assert strip.phases() == ["execute"] + [SEGMENTS] * 37
    assert strip.bar_tooltip(5).startswith("Segment 5 of 37")
    assert "Committing the trace" in strip.bar_tooltip(5)
    assert window.width() <= 1280


def test_the_next_task_and_another_program_reset_the_timeline(frozen, qtbot):
    window = frozen
    strip = window.phase_timeline
    run_replay(window, qtbot, phase_events(PROOF_PHASES))
    assert len(strip.phases()) == len(PROOF_PHASES)
    run_replay(window, qtbot, phase_events([("read", 0.1), ("constraints", 0.2)]))
    assert strip.phases() == ["read", "constraints"]
    execute_and_wait(qtbot, window)
    assert strip.phases()[-2:] == ["execute", "analyse"] and not strip.isHidden()
    window.open_sample("fibonacci")
    assert strip.isHidden() and strip.phases() == []


def test_the_bars_take_the_themes_colours(frozen, qtbot):
    window = frozen
    run_replay(window, qtbot, phase_events(PROOF_PHASES))
    strip = window.phase_timeline
    try:
        theme.apply_theme(theme.DARK)
        dark = strip.bar_color(3)
        assert dark == theme.plot_colors(True)["series"][0]
        theme.apply_theme(theme.LIGHT)
        assert strip.bar_color(3) == theme.plot_colors(False)["series"][0] != dark
        # neighbouring phases differ in colour
        colors = [strip.bar_color(i) for i in range(len(PROOF_PHASES))]
        assert all(a != b for a, b in itertools.pairwise(colors))
    finally:
        theme.apply_theme(theme.LIGHT)


def test_a_real_proof_shows_its_phases_then_its_check(window, qtbot, tmp_path):
    """A proof of fibonacci: the prover's phases in order, then the automatic check of
    its receipt adds its own to the same timeline."""
    window.open_sample("fibonacci")
    with qtbot.waitSignal(window.verifyFinished, timeout=600_000):
        assert window.start_prove(str(tmp_path / "fib.zkr"))
    phases = window.phase_timeline.phases()
    proof = phases[:phases.index("verify receipt")]
    stark = [p for p in proof if p in ("commit main", "logup", "quotient", "open", "fri")]
    assert stark == ["commit main", "logup", "quotient", "open", "fri"], phases
    assert phases.index("execute") < phases.index("commit main") < phases.index(
        "verify receipt") < phases.index("read")
    assert all(span.state != RUNNING for span in window.phase_timeline.bars.model.spans)
