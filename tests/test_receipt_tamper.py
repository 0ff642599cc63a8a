"""Receipts end to end: every region tampered is rejected; zero knowledge holds."""
from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np
import pytest

from engine.api import INTERNAL_ERROR, prove, verify
from engine.receipt import (MAGIC, ProgramImage, ReceiptError, decode_receipt,
                            encode_receipt)
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.vm.asm import DATA_BASE, Asm


def length_guest():
    """Reads up to 256 bytes of input and commits only how many it read."""
    prog = Asm()
    prog.data += bytes(512)
    prog.syscall(63, 0, DATA_BASE, 256)
    prog.li(5, DATA_BASE + 256)
    prog.store("sw", 10, 5, 0)
    prog.syscall(64, 1, DATA_BASE + 256, 4)
    prog.exit(code=0)
    return load_elf(prog.elf())


@functools.cache
def hello_receipt():
    return prove(load_elf(guest_path("hello")), b"tamper me").receipt


def _verdict(data: bytes) -> bool:
    """Whether ``data`` verifies; a rejection must come from a check, never from a
    verifier that raised (the verifier reports that as an internal error)."""
    try:
        receipt = decode_receipt(data)
    except ReceiptError:
        return False
    result = verify(receipt)
    if not result.valid:
        assert result.reason and not result.reason.startswith(INTERNAL_ERROR), result.reason
    return result.valid


def test_the_untampered_receipt_is_valid():
    assert _verdict(encode_receipt(hello_receipt()))


def test_verification_time_splits_into_compiling_and_checking():
    result = verify(hello_receipt())
    assert result.valid
    assert 0.0 <= result.compile_seconds <= result.seconds
    assert result.check_seconds == result.seconds - result.compile_seconds


def _regions(data: bytes) -> dict[str, list[int]]:
    """Byte positions of each region of an encoded receipt (docs/receipt-format.md)."""
    out: dict[str, list[int]] = {"header": list(range(len(MAGIC) + 4))}
    pos = len(MAGIC) + 4
    names = {1: "claim", 2: "parameters", 3: "image", 4: "seal"}
    while pos < len(data):
        tag = int.from_bytes(data[pos:pos + 4], "little")
        length = int.from_bytes(data[pos + 4:pos + 8], "little")
        out[f"{names[tag]} framing"] = list(range(pos, pos + 8))
        body = list(range(pos + 8, pos + 8 + length))
        out[names[tag]] = body
        pos += 8 + length
    return out


@pytest.mark.parametrize("region", ["header", "claim framing", "claim", "parameters framing",
                                    "parameters", "image framing", "image", "seal framing",
                                    "seal"])
def test_flipping_bytes_in_any_region_is_rejected(region):
    data = encode_receipt(hello_receipt())
    positions = _regions(data)[region]
    rng = np.random.default_rng(len(region))
    picks = positions if len(positions) <= 12 else rng.choice(positions, 12, replace=False)
    for pos in picks:
        mutated = bytearray(data)
        mutated[int(pos)] ^= 1 << int(rng.integers(0, 8))
        assert not _verdict(bytes(mutated)), f"{region}: flip at byte {pos} accepted"


@pytest.mark.parametrize("cut", [1, 100, 5000])
def test_truncated_and_extended_receipts_are_rejected(cut):
    data = encode_receipt(hello_receipt())
    assert not _verdict(data[:-cut])
    assert not _verdict(data + bytes(cut))


@pytest.mark.parametrize("field,value", [
    ("journal", b"tamper mE"), ("journal", b""), ("journal", b"tamper me!"),
    ("exit_code", 1), ("image_id", bytes(32)), ("log_trace_height", 11),
    ("security_bits", 120.0),
])
def test_edited_claim_fields_are_rejected(field, value):
    receipt = dataclasses.replace(hello_receipt(), **{field: value})
    assert not verify(receipt).valid


def test_program_a_proof_with_program_b_image_is_rejected():
    receipt = hello_receipt()
    other = load_elf(guest_path("fibonacci"))
    swapped = dataclasses.replace(receipt, image_id=other.image_id,
                                  image=ProgramImage.from_program(other))
    result = verify(swapped)
    assert not result.valid
    assert not verify(receipt, program=other).valid


def test_receipts_reveal_neither_private_input():
    program = length_guest()
    first, second = os.urandom(200), os.urandom(200)
    receipts = [encode_receipt(prove(program, data).receipt) for data in (first, second)]
    for data in (first, second):
        windows = {data[i:i + 6] for i in range(len(data) - 5)}
        for blob in receipts:
            assert not any(w in blob for w in windows)
    assert all(verify(decode_receipt(blob)).valid for blob in receipts)
    assert decode_receipt(receipts[0]).journal == decode_receipt(receipts[1]).journal


def test_proving_the_same_run_twice_gives_different_valid_receipts():
    program = length_guest()
    a = prove(program, b"same input").receipt
    b = prove(program, b"same input").receipt
    assert a.seal != b.seal
    assert verify(a).valid and verify(b).valid
