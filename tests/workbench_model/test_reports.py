"""What the window says when a task ends, decided without the window."""
from __future__ import annotations

import pytest

from engine.errors import Cancelled, GuestFault, InputError
from engine.events import CancelToken
from engine.vm import load_elf
from tests.vm.asm import Asm
from workbench.model import tasks
from workbench.model.reports import (CANCELLED, ERROR, GUEST_FAULT, REFUSED, execution_report,
                                     failure_of, proof_summary, unpinned_note)
from workbench.model.verdict import NOT_COMPARED, VerifySummary, short_image_id
from tests.workbench_model.receipts import program, proof


def test_each_kind_of_error_reads_as_its_outcome():
    cancelled = failure_of(Cancelled())
    assert (cancelled.outcome, cancelled.message, cancelled.cancelled) == (CANCELLED,
                                                                          "Cancelled", True)
    refused = failure_of(InputError("the input is too large"))
    assert (refused.outcome, refused.message) == (REFUSED, "the input is too large")
    assert not refused.cancelled and not refused.unexpected and refused.fault is None
    bug = failure_of(KeyError("x"))
    assert bug.outcome == ERROR and bug.unexpected
    assert bug.message == "Unexpected error: KeyError: 'x'"


def test_a_guest_fault_keeps_the_fault_for_its_pc_and_output():
    asm = Asm()
    asm.op("addi", 5, 0, 42)
    asm.emit(0x00100073)                  # ebreak at the second word
    with pytest.raises(GuestFault) as raised:
        tasks.run_execution(load_elf(asm.elf()), b"", lambda event: None, CancelToken())
    failure = failure_of(raised.value)
    assert failure.outcome == GUEST_FAULT and failure.fault is raised.value
    assert failure.fault.pc == 0x10004 and failure.fault.cycles == 1
    assert "pc=0x00010004" in failure.message and "ebreak" in failure.message


def test_the_execute_payload_has_the_documented_keys():
    hello = program("hello")
    outcome = tasks.run_execution(hello, b"abc", lambda event: None, CancelToken())
    report = execution_report(outcome, hello.image_id_hex)
    assert set(report) == {"exit_code", "cycles", "journal", "journal_hex", "log",
                           "image_id", "seconds", "mhz", "trace_rows"}
    assert report["journal"] == b"abc" and report["journal_hex"] == b"abc".hex()
    assert report["image_id"] == hello.image_id_hex
    assert report["trace_rows"] == report["cycles"] == outcome.result.cycles


def test_a_proofs_summary_line_names_its_figures():
    proved = proof("hello")
    execution = tasks.analyse(program("hello"), proved.execution, lambda event: None)
    line = proof_summary(tasks.ProofOutcome(proved, "hello.zkr", 150_000, execution))
    assert line.startswith(f"{proved.execution.cycles:,} cycles in a {proved.trace_rows:,}-row "
                           f"trace · ")
    assert f"{proved.receipt.security_bits:.0f} bits" in line
    assert line.endswith("receipt 146.5 KiB (150,000 bytes)")


def test_only_an_unpinned_valid_verdict_adds_a_note():
    image = "12" * 32
    note = unpinned_note(VerifySummary(True, "", "r.zkr", image, program_name="hello.elf"))
    assert note == (f" It is a proof of hello.elf (image {short_image_id(image)}), "
                    f"{NOT_COMPARED}.")
    assert unpinned_note(VerifySummary(True, "", "r.zkr", image, image)) == ""
    assert unpinned_note(VerifySummary(False, "the seal is malformed", "r.zkr", image)) == ""
