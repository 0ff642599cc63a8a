"""Golden machine-AIR receipts made by an earlier build must still verify.

They pin the circuit, the protocol and the receipt format end to end: a change that
breaks them changes what a receipt means, so it must bump a version and regenerate
them with ``python -m tests.golden.make_receipts`` (never by hand).
"""
from __future__ import annotations

import pytest

from engine import load_elf, verify
from engine.receipt import decode_receipt, encode_receipt, read_receipt
from tests.golden.make_receipts import GOLDEN, guest_path, receipt_path
from tests.rejection import assert_rejected


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_receipt_still_verifies_against_its_guest(name):
    _, _, journal, exit_code = GOLDEN[name]
    receipt = read_receipt(receipt_path(name))
    result = verify(receipt, program=load_elf(guest_path(name)))
    assert result.valid, result.reason
    assert result.pinned
    assert (result.journal, result.exit_code) == (journal, exit_code)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_receipt_decodes_to_the_same_bytes(name):
    with open(receipt_path(name), "rb") as f:
        data = f.read()
    assert encode_receipt(decode_receipt(data)) == data


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_receipt_with_another_journal_is_rejected(name):
    import dataclasses

    receipt = read_receipt(receipt_path(name))
    forged = dataclasses.replace(receipt, journal=receipt.journal.replace(b"5", b"6", 1))
    # The journal is bound into the global transcript, so the first check that depends
    # on a challenge fails: the grinding before the global challenges.
    reason = assert_rejected(verify(forged, program=load_elf(guest_path(name))),
                             "the receipt's global proof of work does not pass")
    assert reason.startswith("the receipt's global proof of work does not pass"), reason
