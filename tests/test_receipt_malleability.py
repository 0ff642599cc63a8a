"""Receipts are not malleable: changing any byte makes verification fail, whether or not
the caller pins the program, and an embedded image is bound to the image ID whatever
the caller pinned."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.api import prove, verify
from engine.receipt import (MAGIC, TAG_SEGMENTS, ProgramImage, ReceiptError, decode_receipt,
                            encode_receipt)
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.rejection import assert_rejected

# Stands for "the bytes do not decode (ReceiptError)" among the expected reasons.
UNDECODABLE = "does not decode"
# Why a receipt with a changed byte outside its seal is rejected: the claim's image ID
# no longer matches the embedded image (or the pinned program); its journal or exit code
# changed (absorbed into the transcripts: the global or the LogUp grinding fails); the
# global proof-of-work nonce changed (the global grinding fails); the parameters are
# not the policy's, the stated security or height not the seal's; or the image no longer
# fits the claimed trace.
CLAIM_CHANGED = (UNDECODABLE, "does not hash to its image ID", "not the expected",
                 "the LogUp proof of work is invalid", "global proof of work does not pass",
                 "are not accepted by this verifier's policy",
                 "bits of security; the verifier computes", "different trace height than its seal",
                 "cannot have been proven in a trace of",
                 # A changed claim passes the LogUp grinding by chance (2^-logup_pow_bits
                 # per edit, and this test makes hundreds): the bus sums then disagree.
                 "the LogUp sum S and the public messages do not cancel")
# Why a receipt with a changed byte in its segment's header (the segment count, the
# trace height, the journal end, the seal's length) is rejected: it does not decode, or
# claims another height (see CLAIM_CHANGED; the seal's decoder, whose limits the height
# sets, may refuse the seal).
SEGMENT_CHANGED = (*CLAIM_CHANGED, "the seal is malformed",
                   "with its parameters this verifier accepts")
# Why a receipt with a changed seal byte is rejected: the seal does not decode, or does
# not have the stated security or height, or a check of the STARK verifier fails (the
# preprocessed root, the LogUp grinding, the openings: FRI and every Merkle path), or
# the global grinding fails (a changed stage-0 root).
SEAL_CHANGED = (UNDECODABLE, "the seal is malformed", "the seal does not have the shape",
                "global proof of work does not pass",
                "different security level than its seal", "different trace height than its seal",
                "the preprocessed columns do not match", "the LogUp proof of work is invalid",
                "the LogUp sum S and the public messages do not cancel", "openings: ",
                "the constraints do not hold")


@pytest.fixture(scope="module")
def program():
    return load_elf(guest_path("fibonacci"))


@pytest.fixture(scope="module")
def honest(program):
    receipt = prove(program).receipt
    assert verify(receipt).valid and verify(receipt, program=program).valid
    return receipt


def _seal_payload(data: bytes) -> range:
    """Byte positions of the seal itself (of a receipt of one segment: after the
    segments section's header, the count, the global nonce, the height, the journal end
    and the seal's length)."""
    pos = len(MAGIC) + 4
    while True:
        tag = int.from_bytes(data[pos:pos + 4], "little")
        length = int.from_bytes(data[pos + 4:pos + 8], "little")
        if tag == TAG_SEGMENTS:
            assert int.from_bytes(data[pos + 8:pos + 12], "little") == 1
            return range(pos + 8 + 4 + 8 + 1 + 4 + 4, pos + 8 + length)
        pos += 8 + length


def _fails(data: bytes, *expected: str, **pin) -> str:
    """Why ``data`` is not a valid receipt: a decode error (only where ``expected``
    holds ``UNDECODABLE``) or a rejection for one of the ``expected`` reasons; fails the
    test if it verifies, or if the verifier only crashed."""
    try:
        receipt = decode_receipt(data)
    except ReceiptError as e:
        assert UNDECODABLE in expected, f"{e} (expected one of {expected})"
        return f"{UNDECODABLE}: {e}"
    return assert_rejected(verify(receipt, **pin), *expected)


def _flipped(data: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_every_byte_outside_the_seal_matters(honest, program, mask):
    data = encode_receipt(honest)
    seal = _seal_payload(data)
    segment_header = range(seal.start - 21, seal.start)
    for position in range(seal.start):
        changed = _flipped(data, position, mask)
        expected = SEGMENT_CHANGED if position in segment_header else CLAIM_CHANGED
        for pin in ({}, {"program": program}):
            _fails(changed, *expected, **pin)


def test_a_sample_of_the_seal_bytes_matters(honest, program):
    data = encode_receipt(honest)
    seal = _seal_payload(data)
    positions = sorted({*seal[:64], *seal[-64:], *seal[::97]})
    for position in positions:
        changed = _flipped(data, position, 0x01)
        for pin in ({}, {"program": program}):
            _fails(changed, *SEAL_CHANGED, **pin)


def test_a_pinned_program_does_not_excuse_an_edited_embedded_image(honest, program):
    image = honest.image
    values = image.word_values.copy()
    values[len(values) // 2] ^= 0x10
    edited = dataclasses.replace(honest, image=dataclasses.replace(image, word_values=values))
    for pin in ({}, {"program": program}, {"image_id": program.image_id}):
        _fails(encode_receipt(edited), "does not hash to its image ID", **pin)


def test_another_programs_image_embedded_under_this_image_id_is_refused(honest, program):
    other = ProgramImage.from_program(load_elf(guest_path("primes")))   # fits 2^10 rows
    swapped = dataclasses.replace(honest, image=other)
    for pin in ({}, {"program": program}):
        _fails(encode_receipt(swapped), "does not hash to its image ID", **pin)


def test_both_the_embedded_image_and_the_program_must_hash_to_the_image_id(honest, program):
    other = load_elf(guest_path("hello"))
    _fails(encode_receipt(honest), "not the expected", program=other)
    # detached, the program alone decides, and still has to be the receipt's
    detached = dataclasses.replace(honest, image=None)
    assert verify(detached, program=program).valid
    _fails(encode_receipt(detached), "not the expected", program=other)
    _fails(encode_receipt(detached), "the receipt is detached")


def test_the_image_words_are_bound_whatever_their_position(honest, program):
    image = honest.image
    rng = np.random.default_rng(5)
    for index in rng.choice(len(image.word_values), 8, replace=False):
        values = image.word_values.copy()
        values[index] = (int(values[index]) + 1) & 0xFFFFFFFF or 1
        edited = dataclasses.replace(honest, image=dataclasses.replace(image,
                                                                        word_values=values))
        _fails(encode_receipt(edited), "does not hash to its image ID", program=program)
