"""End to end: machine-AIR witnesses proven and verified with the STARK engine.

The first run compiles the machine AIR's constraint kernel (about a minute and a
half on the development VM; cached on disk afterwards), hence the ``slow`` mark.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.circuit.witness import MachineWitness, segment_messages, segment_publics
from tests.circuit.support import Edit, asm_witness, guest_witness, prove_segment, verify_segment
from tests.circuit.test_dishonest import (CONSTRAINT_REASON, journal_program, one_op,
                                         verifier_reason, with_claimed_journal)
from tests.rejection import assert_rejected
from tests.segments.support import reground

pytestmark = pytest.mark.slow

# A claim changed after proving: the journal and exit code are absorbed into the
# transcript before the LogUp grinding, the first check that depends on a challenge.
CLAIM_REASON = "the LogUp proof of work is invalid"


def proof_of(witness: MachineWitness, check: bool = True):
    return prove_segment(witness, check=check)


def assert_dishonest_proof_rejected(wrong: MachineWitness) -> None:
    """A proof of ``wrong`` made with the prover's check off is rejected for what the
    row checker finds in it: an unbalanced bus, else a broken constraint."""
    report = wrong.check()
    assert not report.ok
    assert_rejected(verdict(wrong, proof_of(wrong, check=False)), verifier_reason(report))


def verdict(witness: MachineWitness, proof, **claim):
    """Verify ``proof`` against the claim of ``witness``, with any part replaced."""
    image = claim.get("image", witness.image)
    exit_code = claim.get("exit_code", witness.publics["exit_lo"]
                          | witness.publics["exit_hi"] << 16)
    journal = claim.get("journal", witness.journal)
    publics = segment_publics(image, exit_code, 0, 1, 0, len(journal))
    return verify_segment(proof, publics=publics, image=image,
                          public_messages=segment_messages(image, journal, 0, len(journal)))


@pytest.mark.parametrize("name,data", [("fibonacci", b"25"), ("hello", b"zk!")])
def test_sample_guest_proves_and_verifies(name, data):
    witness = guest_witness(name, data)
    result = verdict(witness, proof_of(witness))
    assert result.valid, result.reason


def test_every_syscall_kind_proves_and_verifies():
    witness = asm_witness(journal_program())
    proof = proof_of(witness)
    assert verdict(witness, proof).valid
    for claim in ({"journal": b"Hello, Journal!"}, {"journal": b"Hello, journal!!"},
                  {"journal": b"Hello, journal"}, {"exit_code": 4}):
        assert_rejected(verdict(witness, proof, **claim), CLAIM_REASON)


def test_proof_presented_with_another_programs_image_is_rejected():
    witness, _ = one_op("add", 7, 9)
    other, _ = one_op("sub", 7, 9)
    proof = proof_of(witness.witness)
    assert verdict(witness.witness, proof).valid
    # The image reaches the transcript through the program-image bus's public messages.
    assert_rejected(verdict(witness.witness, proof, image=other.witness.image), CLAIM_REASON)


def test_proof_of_a_wrong_sum_is_rejected():
    edit, row = one_op("add", 7, 9)
    edit.set_rd(row, 17)
    edit.set_bits("x", row, 17)
    assert_dishonest_proof_rejected(edit.result())


def test_proof_of_a_run_cut_before_its_exit_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    edit.set_flag(int(edit.rows_of("exit")[0]), None)
    assert_dishonest_proof_rejected(edit.result())


def test_proof_with_a_journal_the_trace_did_not_write_is_rejected():
    edit = with_claimed_journal(Edit(asm_witness(journal_program())), b"Hello, Journal!")
    assert_dishonest_proof_rejected(edit.result(journal=b"Hello, Journal!"))


@pytest.mark.parametrize("claim", [b"Hello, journal!!", b"Hello, journal"])
def test_proof_claiming_an_extra_or_missing_journal_byte_is_rejected(claim):
    edit = with_claimed_journal(Edit(asm_witness(journal_program())), claim)
    assert_dishonest_proof_rejected(edit.result(journal=claim))


def test_proof_claiming_another_exit_code_is_rejected():
    edit = Edit(asm_witness(journal_program()))
    edit.publics["exit_lo"] = 4
    assert_dishonest_proof_rejected(edit.result())


def test_receipt_of_a_run_with_a_moved_heap_is_rejected():
    """The review's forgery, end to end: sort.elf run with its heap moved into its own
    data (as a free brk(0) allowed), proven with every prover check off and presented as
    a receipt of the honest sort.elf. The heap start is in the image ID, so the verifier
    derives the honest one and the proof cannot match it."""
    import dataclasses
    import os

    from engine import verify as verify_receipt
    from engine.api import claim_bytes
    from engine.circuit.image import MachineImage
    from engine.segments.witness import generate_witness
    from engine.receipt import ProgramImage, Receipt, SegmentSeal
    from engine.stark import encode_proof
    from engine.stark.params import DEFAULT_PARAMS
    from engine.vm import execute, load_elf
    from tests.circuit.support import GUESTS

    honest = load_elf(os.path.join(GUESTS, "sort.elf"))
    rodata = next(s for s in honest.load_segments if not s.writable and not s.executable)
    moved = dataclasses.replace(honest, heap_start=rodata.vaddr + 0x20)
    run = execute(moved, b"9 8 7 6 5 4 3 2 1 0", record_trace=True)
    witness = generate_witness(MachineImage.from_program(moved), run,
                               rng=np.random.default_rng(2))
    image = MachineImage.from_program(honest)
    publics = segment_publics(image, run.exit_code, 0, 1, 0, len(run.journal))
    claim = claim_bytes(honest.image_id, run.exit_code, run.journal)
    proof = prove_segment(witness, claim=claim, check=False, publics=publics, image=image,
                          public_messages=segment_messages(image, run.journal, 0,
                                                           len(run.journal)))
    receipt = Receipt(image_id=honest.image_id, exit_code=run.exit_code, journal=run.journal,
                      params=DEFAULT_PARAMS, security_bits=proof.security_bits,
                      image=ProgramImage.from_program(honest),
                      segments=(SegmentSeal(proof.log_height, len(run.journal),
                                            encode_proof(proof)),))
    receipt = reground(receipt)
    for pinned in ({}, {"program": honest}):
        assert_rejected(verify_receipt(receipt, **pinned), CONSTRAINT_REASON)
