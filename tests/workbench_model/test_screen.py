"""What the panels show, derived from the session without the window: each task start
replaces what it redoes, and nothing of an ended task or another program remains."""
from __future__ import annotations

from workbench.model.screen import (CANCELLED, DONE, EXECUTE, FAILED, PROVE, QUERIES_HINT,
                                    READY, VERIFY, VERIFY_HINT, end_line, screen_of)
from workbench.model.session import Session
from workbench.model.verdict import VerifySummary
from tests.workbench_model.receipts import program


def test_a_cancelled_proof_leaves_no_proving_words_once_the_next_run_starts():
    session = Session()
    session.open(program("hello"))
    screen = screen_of(session)
    assert (screen.progress, screen.execution, screen.queries) == (READY, "–", QUERIES_HINT)
    assert screen.verification == VERIFY_HINT and not screen.digits
    prove = session.begin(PROVE, "hello.elf")
    screen = screen_of(session)
    assert screen.progress is None and screen.execution == "Proving…"
    assert screen.queries.startswith("Proving…") and screen.queries_owner == prove.serial
    session.end(CANCELLED)
    screen = screen_of(session)
    assert screen.progress == "Proof of hello.elf cancelled"
    assert "cancelled" in screen.queries and "Proving…" not in screen.queries
    session.begin(EXECUTE, "hello.elf")
    screen = screen_of(session)
    assert screen.queries == QUERIES_HINT and screen.queries_owner == 0
    assert screen.execution == "Running…"
    session.end(DONE)
    assert screen_of(session).progress == "Execution of hello.elf finished (see Execution)"


def test_a_finished_proof_stays_in_the_queries_tab_through_an_execution():
    session = Session()
    session.open(program("hello"))
    prove = session.begin(PROVE, "hello.elf")
    session.end(DONE)
    session.begin(EXECUTE, "hello.elf")
    assert screen_of(session).queries_owner == prove.serial


def test_a_junk_receipt_ends_the_verifying_message_and_a_program_change_the_verdict():
    session = Session()
    session.open(program("fibonacci"))
    session.begin(VERIFY, "junk.zkr")
    screen = screen_of(session)
    assert screen.verification == "Verifying junk.zkr…"
    assert screen.queries.startswith("Verifying junk.zkr…")
    session.end(DONE)
    session.checked(VerifySummary(False, "not a receipt", path="junk.zkr"))
    screen = screen_of(session)
    assert screen.verification is None and "junk.zkr" in screen.queries
    assert "Verifying" not in screen.queries
    session.open(program("hello"))
    screen = screen_of(session)
    assert screen.verification == VERIFY_HINT and screen.queries == QUERIES_HINT
    assert screen.progress == READY and session.verdict is None


def test_a_receipt_that_cannot_be_checked_says_why_until_the_next_task():
    session = Session()
    session.open(program("hello"))
    session.begin(VERIFY, "gone.zkr")
    session.end(FAILED)
    session.check_failed("cannot read gone.zkr")
    assert screen_of(session).verification == "cannot read gone.zkr"
    assert screen_of(session).progress == "Verification of gone.zkr failed"
    session.begin(PROVE, "hello.elf")
    assert screen_of(session).verification == VERIFY_HINT


def test_the_digits_tab_belongs_to_a_digit_classifier_only():
    session = Session()
    session.open(program("digits_mlp"))
    assert screen_of(session).digits
    session.open(program("sha256"))
    assert not screen_of(session).digits


def test_end_lines_name_the_task_and_how_it_ended():
    assert end_line(None) == READY
    session = Session()
    session.open(program("hello"))
    session.begin(VERIFY, "r.zkr")
    session.end(FAILED)
    assert end_line(session.task) == "Verification of r.zkr failed"
