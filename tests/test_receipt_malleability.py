"""Receipts are not malleable: changing any byte makes verification fail, whether or not
the caller pins the program, and an embedded image is bound to the image ID whatever
the caller pinned."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.api import INTERNAL_ERROR, prove, verify
from engine.receipt import MAGIC, ProgramImage, ReceiptError, decode_receipt, encode_receipt
from engine.runtime.resources import guest_path
from engine.vm import load_elf


@pytest.fixture(scope="module")
def program():
    return load_elf(guest_path("fibonacci"))


@pytest.fixture(scope="module")
def honest(program):
    receipt = prove(program).receipt
    assert verify(receipt).valid and verify(receipt, program=program).valid
    return receipt


def _seal_payload(data: bytes) -> range:
    """Byte positions of the seal itself (after its section header and blob length)."""
    pos = len(MAGIC) + 4
    while True:
        tag = int.from_bytes(data[pos:pos + 4], "little")
        length = int.from_bytes(data[pos + 4:pos + 8], "little")
        if tag == 4:
            return range(pos + 12, pos + 8 + length)
        pos += 8 + length


def _fails(data: bytes, **pin) -> str:
    """Why ``data`` is not a valid receipt (a decode error counts); fails the test if
    it verifies, or if the verifier only crashed."""
    try:
        receipt = decode_receipt(data)
    except ReceiptError as e:
        return f"decode: {e}"
    result = verify(receipt, **pin)
    assert not result.valid, "a changed receipt verified"
    assert result.reason and not result.reason.startswith(INTERNAL_ERROR), result.reason
    return result.reason


def _flipped(data: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_every_byte_outside_the_seal_matters(honest, program, mask):
    data = encode_receipt(honest)
    seal = _seal_payload(data)
    for position in range(seal.start):
        changed = _flipped(data, position, mask)
        for pin in ({}, {"program": program}):
            _fails(changed, **pin)


def test_a_sample_of_the_seal_bytes_matters(honest, program):
    data = encode_receipt(honest)
    seal = _seal_payload(data)
    positions = sorted({*seal[:64], *seal[-64:], *seal[::97]})
    for position in positions:
        changed = _flipped(data, position, 0x01)
        for pin in ({}, {"program": program}):
            _fails(changed, **pin)


def test_a_pinned_program_does_not_excuse_an_edited_embedded_image(honest, program):
    image = honest.image
    values = image.word_values.copy()
    values[len(values) // 2] ^= 0x10
    edited = dataclasses.replace(honest, image=dataclasses.replace(image, word_values=values))
    for pin in ({}, {"program": program}, {"image_id": program.image_id}):
        reason = _fails(encode_receipt(edited), **pin)
        assert "does not hash to its image ID" in reason


def test_another_programs_image_embedded_under_this_image_id_is_refused(honest, program):
    other = ProgramImage.from_program(load_elf(guest_path("primes")))   # fits 2^10 rows
    swapped = dataclasses.replace(honest, image=other)
    for pin in ({}, {"program": program}):
        assert "does not hash to its image ID" in _fails(encode_receipt(swapped), **pin)


def test_both_the_embedded_image_and_the_program_must_hash_to_the_image_id(honest, program):
    other = load_elf(guest_path("hello"))
    reason = _fails(encode_receipt(honest), program=other)
    assert "not the expected" in reason
    # detached, the program alone decides, and still has to be the receipt's
    detached = dataclasses.replace(honest, image=None)
    assert verify(detached, program=program).valid
    assert "not the expected" in _fails(encode_receipt(detached), program=other)
    assert "detached" in _fails(encode_receipt(detached))


def test_the_image_words_are_bound_whatever_their_position(honest, program):
    image = honest.image
    rng = np.random.default_rng(5)
    for index in rng.choice(len(image.word_values), 8, replace=False):
        values = image.word_values.copy()
        values[index] = (int(values[index]) + 1) & 0xFFFFFFFF or 1
        edited = dataclasses.replace(honest, image=dataclasses.replace(image,
                                                                        word_values=values))
        assert "does not hash" in _fails(encode_receipt(edited), program=program)
