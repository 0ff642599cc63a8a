"""Every phase the engine and the workbench's tasks report reads as words in the bar."""
from __future__ import annotations

import numpy as np

from engine.events import CancelToken, PhaseStarted
from workbench.model import tasks
from workbench.model.phases import PHASE_LABELS, phase_label
from workbench.model.trace_data import TraceView
from tests.workbench_model.receipts import program, write_receipts


def test_a_known_phase_reads_as_words_and_an_unknown_one_as_its_name():
    assert phase_label("fri") == "FRI: folding layers and answering queries"
    assert phase_label("commit main") == "Committing the trace"
    assert phase_label("new phase") == "New phase"
    assert phase_label("") == ""


def test_every_phase_a_run_a_proof_and_a_verification_report_has_words(tmp_path):
    phases = []

    def report(event):
        if isinstance(event, PhaseStarted):
            phases.append(event.phase)

    fibonacci = program("fibonacci")
    tasks.run_execution(fibonacci, b"10", report, CancelToken())
    tasks.run_proof(fibonacci, b"10", str(tmp_path / "fib.zkr"), report=report,
                    cancel=CancelToken())
    receipts = write_receipts(tmp_path)
    tasks.run_receipt_check(receipts["fibonacci"], None, None, report, CancelToken())
    tasks.run_receipt_check(receipts["detached"], fibonacci.image_id, fibonacci, report,
                            CancelToken())
    view = TraceView.from_columns(["pc"], [np.zeros(4, dtype=np.uint32)])
    tasks.run_trace_export(str(tmp_path / "t.npz"), view, b"", "", report, CancelToken())
    # The prover's and the verifier's own phases, and the workbench's.
    assert {"witness", "commit main", "quotient", "fri", "constraints", "read", "save",
            "export"} <= set(phases)
    assert sorted(set(phases) - set(PHASE_LABELS)) == []
