"""Receipts end to end: every region tampered is rejected; zero knowledge holds."""
from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np
import pytest

from engine.api import prove, verify
from engine.receipt import (MAGIC, ProgramImage, ReceiptError, decode_receipt,
                            encode_receipt)
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.receipt_edits import with_journal, with_segment
from tests.rejection import assert_rejected
from tests.segments.support import reground
from tests.test_receipt_malleability import CLAIM_CHANGED, SEAL_CHANGED, UNDECODABLE
from tests.vm.asm import DATA_BASE, Asm

# Why a receipt whose segment claims another trace height is rejected: no proof has
# that height, the policy does not accept it, the image does not fit it, the seal's
# decoder (whose limits the height sets) refuses the seal, or the seal states another.
HEIGHT_CHANGED = (UNDECODABLE, "with its parameters this verifier accepts",
                  "cannot have been proven in a trace of", "the seal is malformed",
                  "different trace height than its seal")
# Any reason at all (assert_rejected still fails on a verifier's internal error): for
# receipts of several segments edited by hand, whose first failing check depends on
# how the verifier checks segments.
ANY_REASON = ""
# region -> why a receipt with a bit flipped there is rejected. The header and the
# framings are checked by the decoder; the image must hash to the claimed image ID.
# The segments section: a count that is no longer 1 does not decode (0, or a second
# segment after the first has read the rest of the section); a single segment's journal
# end must be the journal's length, and its seal's length the rest of the section.
FLIPPED = {"header": (UNDECODABLE,), "claim framing": (UNDECODABLE,),
           "claim": CLAIM_CHANGED, "parameters framing": (UNDECODABLE,),
           "parameters": CLAIM_CHANGED, "image framing": (UNDECODABLE,),
           "image": (UNDECODABLE, "does not hash to its image ID"),
           "segments framing": (UNDECODABLE,), "segment count": (UNDECODABLE,),
           "global nonce": ("global proof of work does not pass",),
           "segment height": HEIGHT_CHANGED, "segment journal end": (UNDECODABLE,),
           "seal length": (UNDECODABLE,), "seal": SEAL_CHANGED}


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


def _assert_rejected(data: bytes, *expected: str) -> None:
    """``data`` does not decode (allowed where ``expected`` holds ``UNDECODABLE``) or is
    rejected for one of the ``expected`` reasons, never by a verifier that raised."""
    try:
        receipt = decode_receipt(data)
    except ReceiptError as error:
        assert UNDECODABLE in expected, f"{error} (expected one of {expected})"
        return
    assert_rejected(verify(receipt), *expected)


def test_the_untampered_receipt_is_valid():
    result = verify(decode_receipt(encode_receipt(hello_receipt())))
    assert result.valid, result.reason


def test_verification_time_splits_into_compiling_and_checking():
    result = verify(hello_receipt())
    assert result.valid
    assert 0.0 <= result.compile_seconds <= result.seconds
    assert result.check_seconds == result.seconds - result.compile_seconds


def _regions(data: bytes) -> dict[str, list[int]]:
    """Byte positions of each region of an encoded receipt (docs/receipt-format.md): the
    sections, and in the segments section the count and each segment's fields
    (``"segment height"`` etc. over all segments, ``"segment 1 height"`` etc. each)."""
    out: dict[str, list[int]] = {"header": list(range(len(MAGIC) + 4))}
    pos = len(MAGIC) + 4
    names = {1: "claim", 2: "parameters", 3: "image", 4: "segments"}
    while pos < len(data):
        tag = int.from_bytes(data[pos:pos + 4], "little")
        length = int.from_bytes(data[pos + 4:pos + 8], "little")
        out[f"{names[tag]} framing"] = list(range(pos, pos + 8))
        body = list(range(pos + 8, pos + 8 + length))
        out[names[tag]] = body
        pos += 8 + length
    pos = out["segments"][0]
    count = int.from_bytes(data[pos:pos + 4], "little")
    out["segment count"] = list(range(pos, pos + 4))
    out["global nonce"] = list(range(pos + 4, pos + 12))
    pos += 12
    for index in range(count):
        seal_length = int.from_bytes(data[pos + 5:pos + 9], "little")
        fields = {"height": range(pos, pos + 1), "journal end": range(pos + 1, pos + 5),
                  "seal length": range(pos + 5, pos + 9),
                  "seal": range(pos + 9, pos + 9 + seal_length)}
        for field, span in fields.items():
            whole = field if field.startswith("seal") else f"segment {field}"
            out.setdefault(whole, []).extend(span)
            out[f"segment {index} {field}"] = list(span)
        pos += 9 + seal_length
    assert pos == out["segments"][-1] + 1
    return out


def _flip_some(data: bytes, positions: list[int], expected: tuple[str, ...], label: str,
               seed: int) -> None:
    rng = np.random.default_rng(seed)
    picks = positions if len(positions) <= 12 else rng.choice(positions, 12, replace=False)
    for pos in picks:
        mutated = bytearray(data)
        mutated[int(pos)] ^= 1 << int(rng.integers(0, 8))
        try:
            _assert_rejected(bytes(mutated), *expected)
        except AssertionError as error:
            raise AssertionError(f"{label}, flip at byte {pos}: {error}") from None


@pytest.mark.parametrize("region", list(FLIPPED))
def test_flipping_bytes_in_any_region_is_rejected(region):
    data = encode_receipt(hello_receipt())
    _flip_some(data, _regions(data)[region], FLIPPED[region], region, len(region))


def three_segments(receipt):
    """``receipt`` presented as three segments, each with the one seal (the second
    writes no journal): well formed, and never valid."""
    segment = receipt.segments[0]
    half = len(receipt.journal) // 2
    return dataclasses.replace(receipt, segments=(
        dataclasses.replace(segment, journal_end=half),
        dataclasses.replace(segment, journal_end=half),
        segment))


def test_a_receipt_of_one_seal_three_times_is_rejected():
    receipt = three_segments(hello_receipt())
    assert decode_receipt(encode_receipt(receipt)) == receipt
    assert_rejected(verify(receipt), ANY_REASON)


@pytest.mark.parametrize("field", ["height", "journal end", "seal length", "seal"])
@pytest.mark.parametrize("index", [0, 1, 2])
def test_flipping_any_field_of_any_segment_is_rejected(index, field):
    data = encode_receipt(three_segments(hello_receipt()))
    # The journal ends of several segments leave room, so a flip may decode: then the
    # verifier must still reject it (for whichever reason comes first), never crash.
    expected = (UNDECODABLE, ANY_REASON)
    _flip_some(data, _regions(data)[f"segment {index} {field}"], expected,
               f"segment {index} {field}", 10 * index + len(field))


@pytest.mark.parametrize("cut", [1, 100, 5000])
def test_truncated_and_extended_receipts_are_rejected(cut):
    data = encode_receipt(hello_receipt())
    _assert_rejected(data[:-cut], UNDECODABLE)
    _assert_rejected(data + bytes(cut), UNDECODABLE)


# The claim is in the global and in each segment's transcript: the global grinding fails
# (or, once in 2^16 edits, the segment's LogUp grinding).
BOUND = ("global proof of work does not pass", "the LogUp proof of work is invalid")


@pytest.mark.parametrize("field,value,reasons", [
    ("journal", b"tamper mE", BOUND), ("journal", b"", BOUND),
    ("journal", b"tamper me!", BOUND), ("exit_code", 1, BOUND),
    ("image_id", bytes(32), ("does not hash to its image ID",)),
    ("security_bits", 120.0, ("the receipt states 120.00 bits of security",)),
    ("global_pow_nonce", 2**64 - 1, ("global proof of work does not pass",)),
])
def test_edited_claim_fields_are_rejected(field, value, reasons):
    if field == "journal":
        receipt = with_journal(hello_receipt(), value)
    else:
        receipt = dataclasses.replace(hello_receipt(), **{field: value})
    assert_rejected(verify(receipt), *reasons)


def test_edited_segment_fields_are_rejected():
    receipt = hello_receipt()
    height = receipt.segments[0].log_trace_height
    # A taller claimed height gives the seal's decoder other limits, which the seal's
    # FRI layer count is outside of.
    assert_rejected(verify(with_segment(receipt, 0, log_trace_height=height + 1)),
                    "different trace height than its seal",
                    "the seal is malformed: proof: FRI layers is")
    assert_rejected(verify(with_segment(receipt, 0, log_trace_height=height - 1)),
                    "different trace height than its seal", "the seal is malformed",
                    "cannot have been proven in a trace of")
    assert_rejected(verify(with_segment(receipt, 0, log_trace_height=21)),
                    "this verifier accepts 2^10 to 2^20 rows")
    assert_rejected(verify(with_segment(receipt, 0, seal=b"")), "the seal is malformed")
    # a journal end that is not the journal's length is refused by the decoder
    with pytest.raises(ReceiptError, match="the last segment ends the journal"):
        decode_receipt(encode_receipt(with_segment(receipt, 0, journal_end=0)))


def test_program_a_proof_with_program_b_image_is_rejected():
    receipt = hello_receipt()
    other = load_elf(guest_path("fibonacci"))
    swapped = dataclasses.replace(receipt, image_id=other.image_id,
                                  image=ProgramImage.from_program(other))
    # The claim changed, so the global proof of work fails; ground again for it, the
    # image hashes to its ID, but the proof's program ROM is not that image's: the
    # image reaches the segment's transcript through its public messages, so the
    # segment's LogUp grinding fails (or, once in 2^8, its sums do not cancel).
    assert_rejected(verify(swapped), "global proof of work does not pass")
    assert_rejected(verify(reground(swapped)), "the LogUp proof of work is invalid",
                    "the LogUp sum S and the public messages do not cancel")
    assert_rejected(verify(receipt, program=other), "not the expected")


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
    assert a.segments[0].seal != b.segments[0].seal
    assert verify(a).valid and verify(b).valid
