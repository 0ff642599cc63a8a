"""The window's session without the window: what opening a program forgets, which image
a receipt must be for, what can be run and exported."""
from __future__ import annotations

import pytest

from engine.events import CancelToken
from workbench.model import tasks
from workbench.model.session import NO_PROGRAM, Session
from tests.workbench_model.receipts import program


@pytest.fixture(scope="module")
def executions():
    """An execution of hello and one of fibonacci (traced), as the window keeps them."""
    return {name: tasks.run_execution(program(name), data, lambda event: None, CancelToken())
            for name, data in (("hello", b"hi"), ("fibonacci", b"10"))}


def test_a_new_session_has_nothing_to_run_or_export():
    session = Session()
    assert session.program is None and session.expected_program is None
    assert session.trace() is None and session.last_proof is None
    assert session.run_refusal() == NO_PROGRAM
    assert session.expected() == ("", "") and session.expected_image_id() is None


def test_opening_a_program_forgets_the_last_execution_but_not_the_last_proof(executions):
    hello, fibonacci = program("hello"), program("fibonacci")
    session = Session()
    session.open(hello)
    session.executed(executions["hello"])
    assert session.trace() is executions["hello"].trace and session.trace().rows > 0
    proof = tasks.ProofOutcome(None, "hello.zkr", 1234, executions["hello"])
    session.proved(proof)
    assert session.last_outcome is executions["hello"]
    session.open(fibonacci)
    assert session.program is fibonacci and session.expected_program is fibonacci
    assert session.last_outcome is None and session.trace() is None
    # The receipt names its program: it can still be saved.
    assert session.last_proof is proof


def test_a_proof_makes_its_execution_the_last_one(executions):
    session = Session()
    session.open(program("fibonacci"))
    proof = tasks.ProofOutcome(None, "fib.zkr", 1, executions["fibonacci"])
    session.proved(proof)
    assert session.last_proof is proof and session.last_outcome is executions["fibonacci"]
    assert session.trace() is executions["fibonacci"].trace


def test_the_sample_shown_at_start_is_loaded_but_not_expected():
    hello, sort = program("hello"), program("sort")
    session = Session()
    session.open(hello, expected=False)
    assert session.program is hello and session.expected_program is None
    assert session.expected() == ("", "") and session.expected_image_id() is None
    assert session.run_refusal() == ""
    session.open(sort)
    assert session.expected() == ("sort.elf", sort.image_id_hex)
    assert session.expected_image_id() == sort.image_id
    session.open(hello, expected=False)        # back to unpinned, not to sort
    assert session.expected_image_id() is None


def test_a_pinned_image_id_beats_the_expected_program():
    session = Session()
    session.open(program("sort"))
    pinned = "ab" * 32
    assert session.expected_image_id(pinned) == bytes.fromhex(pinned)
    assert session.expected_image_id(None) == program("sort").image_id


def test_a_run_is_refused_without_a_program_or_with_an_unusable_input():
    session = Session()
    assert session.run_refusal("an odd number of hex digits") == NO_PROGRAM
    session.open(program("hello"))
    assert session.run_refusal("") == ""
    assert session.run_refusal("an odd number of hex digits") == \
        "The private input cannot be used: an odd number of hex digits"
