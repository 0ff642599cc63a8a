"""Receipt encoding: round trips, and hostile bytes that must end in a clean error."""
from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.receipt import (MAGIC, MAX_RECEIPT_BYTES, ProgramImage, Receipt, ReceiptError,
                            decode_receipt, encode_receipt, read_receipt, write_receipt)
from engine.runtime.resources import guest_path
from engine.stark.params import ProofParams
from engine.vm import load_elf


def sample(image: bool = True) -> Receipt:
    program = load_elf(guest_path("hello"))
    return Receipt(image_id=program.image_id, exit_code=7, journal=b"journal \x00\xff bytes",
                   params=ProofParams(), security_bits=100.04, log_trace_height=16,
                   image=ProgramImage.from_program(program) if image else None,
                   seal=bytes(range(256)) * 10)


def same(a: Receipt, b: Receipt) -> bool:
    return (a.image_id, a.exit_code, a.journal, a.params, a.security_bits,
            a.log_trace_height, a.seal, a.image) == \
        (b.image_id, b.exit_code, b.journal, b.params, b.security_bits, b.log_trace_height,
         b.seal, b.image)


@pytest.mark.parametrize("image", [True, False])
def test_round_trip(image):
    receipt = sample(image)
    decoded = decode_receipt(encode_receipt(receipt))
    assert same(decoded, receipt)
    assert decoded.detached is (not image)


def test_embedded_image_reproduces_the_image_id():
    receipt = decode_receipt(encode_receipt(sample()))
    assert receipt.image.image_id() == receipt.image_id


def test_every_truncation_is_rejected_with_a_reason():
    data = encode_receipt(sample())
    for cut in list(range(64)) + list(range(64, len(data), 97)):
        with pytest.raises(ReceiptError):
            decode_receipt(data[:cut])


def test_extensions_are_rejected():
    data = encode_receipt(sample())
    for extra in (b"\x00", b"\x04\x00\x00\x00", os.urandom(100)):
        with pytest.raises(ReceiptError, match="trailing|section"):
            decode_receipt(data + extra)


def test_every_byte_flip_decodes_or_fails_cleanly():
    data = encode_receipt(sample(image=False))
    rng = np.random.default_rng(7)
    for pos in range(len(data)):
        mutated = bytearray(data)
        mutated[pos] ^= int(rng.integers(1, 256))
        try:
            decoded = decode_receipt(bytes(mutated))
        except ReceiptError:
            continue
        # a flip the format cannot detect still changes what the receipt says
        assert not same(decoded, sample(image=False))


def test_non_receipts_get_a_plain_answer():
    with pytest.raises(ReceiptError, match="not a zkwb receipt"):
        decode_receipt(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ReceiptError, match="not a zkwb receipt"):
        decode_receipt(open(guest_path("hello"), "rb").read())
    with pytest.raises(ReceiptError, match="truncated"):
        decode_receipt(MAGIC[:3])


def test_unknown_version_is_refused():
    data = bytearray(encode_receipt(sample()))
    data[len(MAGIC)] = 99
    with pytest.raises(ReceiptError, match="version 99"):
        decode_receipt(bytes(data))


def test_huge_counts_are_refused_without_allocating():
    data = bytearray(encode_receipt(sample(image=False)))
    journal_length_at = len(MAGIC) + 4 + 8 + 32 + 4
    data[journal_length_at:journal_length_at + 4] = (0xFFFFFFF0).to_bytes(4, "little")
    with pytest.raises(ReceiptError, match="limit|truncated"):
        decode_receipt(bytes(data))


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.zkr"
    with open(path, "wb") as f:
        f.truncate(MAX_RECEIPT_BYTES + 1)
    with pytest.raises(InputError, match="larger"):
        read_receipt(path)


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "r.zkr"
    size = write_receipt(path, sample())
    assert path.stat().st_size == size
    assert same(read_receipt(path), sample())
    assert sorted(os.listdir(tmp_path)) == ["r.zkr"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "r.zkr"
    write_receipt(path, sample())
    before = path.read_bytes()
    bad = Receipt(**{**sample().__dict__, "exit_code": -1})   # cannot be encoded
    with pytest.raises(struct.error):
        write_receipt(path, bad)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["r.zkr"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_the_magic_never_crash(tail):
    """Refused with a ReceiptError that says why, or decoded into a receipt that encodes
    back to the same bytes."""
    try:
        receipt = decode_receipt(MAGIC + tail)
    except ReceiptError as error:
        assert str(error), repr(error)
        return
    assert encode_receipt(receipt) == MAGIC + tail
