"""The toolbar's "Prove on" field (workbench/views/prove_on.py): a proof in this
process, on local Dask workers (a real LocalCluster), and a text that names no target."""
from __future__ import annotations

from PySide6.QtWidgets import QToolBar

from tests.workbench.test_prove import COLD_CACHE_MS
from workbench.model.cluster import IN_PROCESS_TEXT, ProveTarget
from workbench.views.settings import Settings


def test_the_field_sits_by_prove_and_starts_at_this_process(window):
    assert window.prove_on.currentText() == IN_PROCESS_TEXT
    assert window.prove_on.target() == ProveTarget()
    toolbar = window.findChild(QToolBar, "mainToolBar")
    assert toolbar.isAncestorOf(window.prove_on)
    assert "zkwb worker" in window.prove_on.toolTip()


def test_a_text_that_names_no_target_refuses_to_prove_and_says_why(window, qtbot):
    window.open_sample("hello")
    window.prove_on.set_target_text("the big machine")
    assert "not a place" in window.prove_on.toolTip()
    assert window.prove_on.lineEdit().styleSheet()          # marked while wrong
    assert not window.start_prove()
    assert "Cannot prove" in window.notice() and "tcp://HOST:8786" in window.notice()
    assert not window.runner.busy
    window.prove_on.set_target_text("2")
    assert not window.prove_on.lineEdit().styleSheet()


def test_a_proof_on_a_local_worker_is_verified_and_names_the_worker(window, qtbot, tmp_path):
    """A real Dask LocalCluster of one worker process: the receipt is proved there,
    checked at once, and the segment model names the worker; the choice is kept."""
    window.open_sample("fibonacci")
    window.prove_on.set_target_text("1 local worker")
    seen = []       # the proof's segments, before the automatic check replaces them
    window.proveFinished.connect(lambda _path: seen.extend(window.outcomes.segments.workers()))
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as checked, \
            qtbot.waitSignal(window.proveFinished, timeout=COLD_CACHE_MS):
        assert window.start_prove(str(tmp_path / "fib.zkr"))
    assert checked.args[0] is True, checked.args
    workers = seen
    assert len(workers) == 1 and workers[0].startswith(("tcp://", "inproc://"))
    assert Settings().prove_on() == "1 local worker"
