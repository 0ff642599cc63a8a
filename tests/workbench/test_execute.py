"""Execute in a worker: the journal appears, cancel stops it, the GUI never freezes.

Cancel and responsiveness are timed from the event (the cancel request; the executor
running its kernel), with bounds generous enough for a loaded machine.
"""
from __future__ import annotations

import time

from engine.events import CancelToken, PhaseStarted
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from engine.vm.executor import CHUNK_CYCLES
from tests.workbench.helpers import (CANCEL_LATENCY_S, LONGEST_GAP_S, Ticks, cancel_and_wait,
                                     ebreak_elf, endless_loop_elf, execute_and_wait)
from workbench.model import tasks


def test_execute_runs_in_a_worker_and_reports_the_journal(window, qtbot):
    window.open_program(guest_path("sha256"))
    window.set_private_input(b"abc")
    result = execute_and_wait(qtbot, window)
    assert result["exit_code"] == 0
    assert result["journal"].startswith(b"ba7816bf")
    assert result["image_id"] == window.program.image_id_hex
    assert "ba7816bf" in window.results.journal.toPlainText()
    assert window.results.journal_hex.toPlainText().startswith("00000000  62 61 37 38")
    assert window.results.field("cycles") == f"{result['cycles']:,}"
    assert result["trace_rows"] == result["cycles"]
    assert window.trace_plot.view is not None and window.trace_plot.plot_items()


def test_guest_log_is_shown_apart_from_the_journal(window, qtbot):
    result = execute_and_wait(qtbot, window)          # the hello sample
    assert result["journal"] == b"Hello, ZK Workbench!"
    assert "Hello from a zkwb guest" in window.results.log.toPlainText()
    assert "Hello from a zkwb guest" not in window.results.journal.toPlainText()


def test_first_run_compiles_kernels_as_a_phase_of_its_own(monkeypatch):
    monkeypatch.setattr(tasks, "_kernels_warm", False)
    events = []
    program = load_elf(guest_path("fibonacci"))
    outcome = tasks.run_execution(program, b"10", events.append, CancelToken())
    phases = [e.phase for e in events if isinstance(e, PhaseStarted)]
    assert phases == ["compile", "execute", "analyse"]
    assert any(isinstance(e, tasks.KernelsReady) for e in events)
    assert outcome.result.journal == b"55\n"
    events.clear()
    tasks.run_execution(program, b"10", events.append, CancelToken())
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == ["execute", "analyse"]


def test_a_run_too_long_for_a_trace_still_executes_and_says_why(window, qtbot, monkeypatch):
    monkeypatch.setattr(tasks, "TRACE_ROW_LIMIT", 1000)
    window.open_sample("sort")
    result = execute_and_wait(qtbot, window)
    assert result["exit_code"] == 0 and result["cycles"] > 1000 and result["trace_rows"] == 0
    assert "a trace is recorded for runs up to 1,000 cycles" in window.trace_plot.message()
    assert "computed from the trace" in window.profile.message()
    assert not window.actions.export_trace.isEnabled()


def test_cancel_mid_execution_stops_quickly_and_leaves_the_window_usable(window, qtbot,
                                                                         tmp_path):
    assert window.open_program(endless_loop_elf(tmp_path / "loop.elf"))
    window.start_execute()
    qtbot.waitUntil(lambda: window.runner.busy and "cycles" in window.progress.text(),
                    timeout=120_000)
    # The loop never ends, so only the cancel can end it (within a chunk of ~8M cycles:
    # a fraction of a second on a quiet machine).
    args, latency = cancel_and_wait(qtbot, window, window.executeFailed)
    assert args[0] == "Cancelled"
    assert latency < CANCEL_LATENCY_S, f"the cancel took {latency:.1f} s"
    assert window.results.field("outcome") == "Cancelled"
    assert not window.runner.busy and window.actions.execute.isEnabled()
    window.open_program(guest_path("hello"))
    window.set_private_input(b"again")
    assert execute_and_wait(qtbot, window)["journal"] == b"again"


def test_event_loop_stays_responsive_during_a_long_execution(window, qtbot, tmp_path):
    loop = endless_loop_elf(tmp_path / "loop.elf")
    window.open_program(guest_path("fibonacci"))       # the kernels compile outside it
    execute_and_wait(qtbot, window)
    window.open_program(loop)
    ticks = Ticks()
    window.start_execute()
    # Measured from the event: the executor is in its kernel (a chunk done), then for at
    # least a second and three more ~8M-cycle kernel calls.
    qtbot.waitUntil(lambda: window.outcomes.cycles_so_far >= CHUNK_CYCLES, timeout=120_000)
    ticks.start()
    first, started = window.outcomes.cycles_so_far, time.perf_counter()
    qtbot.waitUntil(lambda: window.outcomes.cycles_so_far >= first + 3 * CHUNK_CYCLES
                    and time.perf_counter() - started >= 1.0, timeout=120_000)
    ticks.stop()
    seconds = time.perf_counter() - started
    cancel_and_wait(qtbot, window, window.executeFailed)
    print(f"longest gap between 10 ms ticks: {ticks.longest_gap() * 1000:.0f} ms over "
          f"{len(ticks)} ticks in {seconds:.1f} s")
    assert len(ticks) >= 20 * seconds, f"the loop turned {len(ticks)} times in {seconds:.1f} s"
    assert ticks.longest_gap() < LONGEST_GAP_S, \
        f"the GUI stalled for {ticks.longest_gap() * 1000:.0f} ms"


def test_a_guest_fault_names_the_pc_and_shows_its_disassembly(window, qtbot, tmp_path):
    window.open_program(ebreak_elf(tmp_path / "fault.elf"))
    with qtbot.waitSignal(window.executeFailed, timeout=30_000) as blocker:
        window.start_execute()
    assert "ebreak" in blocker.args[0] and "pc=0x00010004" in blocker.args[0]
    assert window.results.field("outcome") == "Guest fault"
    assert window.disassembly.pc == 0x10004
    assert "ebreak" in window.disassembly.text()


def test_closing_the_window_mid_execution_stops_the_worker(qtbot, tmp_path):
    from workbench import MainWindow
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_program(endless_loop_elf(tmp_path / "loop.elf"))
    window.start_execute()
    qtbot.waitUntil(lambda: "cycles" in window.progress.text(), timeout=120_000)
    window.close()             # cancels, and waits up to 3 s for the worker thread
    assert not window.runner.busy
    # The worker thread itself ends (at once on a quiet machine), not only the task.
    assert window.runner.wait_for_threads(60_000)
    assert window.runner.active_threads() == 0
