"""The workbench window: opens with a sample, executes in a worker, refuses bad files."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from engine.resources import guest_path  # noqa: E402
from workbench import MainWindow  # noqa: E402


def test_window_starts_with_a_sample_loaded(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.program is not None
    assert window.program.image_id_hex in window._program_info.toPlainText()


def test_execute_runs_in_a_worker_and_reports_the_journal(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_program(guest_path("sha256"))
    window.set_private_input(b"abc")
    with qtbot.waitSignal(window.executeFinished, timeout=60_000) as blocker:
        window.start_execute()
    result = blocker.args[0]
    assert result["exit_code"] == 0
    assert result["journal"].startswith(b"ba7816bf")
    assert "ba7816bf" in window.findChild(type(window._journal), "journalView").toPlainText()


def test_opening_a_non_program_keeps_the_window_usable(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    before = window.program
    bad = tmp_path / "notes.elf"
    bad.write_bytes(b"just text")
    window.open_program(str(bad))
    assert window.program is before
    assert "not an ELF" in window.statusBar().currentMessage()
