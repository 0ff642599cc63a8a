"""Execute in a worker: the journal appears, cancel stops it, the GUI never freezes."""
from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QTimer

from engine.events import CancelToken, PhaseStarted
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from engine.vm.executor import CHUNK_CYCLES
from tests.workbench.helpers import ebreak_elf, endless_loop_elf, execute_and_wait
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
    # a fraction of a second on a quiet machine; the bound is for a loaded one).
    with qtbot.waitSignal(window.executeFailed, timeout=60_000) as blocker:
        window.cancel()
    assert blocker.args[0] == "Cancelled"
    assert window.results.field("outcome") == "Cancelled"
    assert not window.runner.busy and window.actions.execute.isEnabled()
    window.open_program(guest_path("hello"))
    window.set_private_input(b"again")
    assert execute_and_wait(qtbot, window)["journal"] == b"again"


def test_event_loop_stays_responsive_during_a_long_execution(window, qtbot, tmp_path):
    assert window.open_program(endless_loop_elf(tmp_path / "loop.elf"))
    execute_and_wait_short = qtbot.waitSignal(window.executeFinished, timeout=30_000)
    with execute_and_wait_short:               # compile the kernels outside the measurement
        window.open_program(guest_path("fibonacci"))
        window.start_execute()
    window.open_program(str(tmp_path / "loop.elf"))
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    window.start_execute()
    # Measure while the executor is deep in its kernel: a few ~8M-cycle chunks done.
    qtbot.waitUntil(lambda: window.outcomes.cycles_so_far >= 3 * CHUNK_CYCLES and len(ticks) > 50,
                    timeout=120_000)
    with qtbot.waitSignal(window.executeFailed, timeout=60_000):
        window.cancel()
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    print(f"longest gap between 10 ms ticks: {max(gaps) * 1000:.0f} ms over {len(ticks)} ticks")
    assert len(ticks) > 50
    assert max(gaps) < 0.25, f"the GUI stalled for {max(gaps) * 1000:.0f} ms"


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
