"""Receipt encoding: round trips, and hostile bytes that must end in a clean error."""
from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.receipt import (FORMAT_VERSION, MAGIC, MAX_LOG_TRACE_HEIGHT, MAX_RECEIPT_BYTES,
                            MAX_RECEIPT_SEGMENTS, MAX_SEAL_BYTES, TAG_CLAIM, TAG_PARAMS,
                            TAG_SEGMENTS, ProgramImage, Receipt, ReceiptError, SegmentSeal,
                            decode_receipt, encode_receipt, read_receipt, write_receipt)
from engine.runtime.resources import guest_path
from engine.stark.params import DEFAULT_PARAMS
from engine.stark.params import ProofParams
from engine.vm import load_elf
from engine.vm.memory_map import MAX_RUN_ROWS

JOURNAL = b"journal \x00\xff bytes"


def sample(image: bool = True, segments: tuple[SegmentSeal, ...] | None = None) -> Receipt:
    program = load_elf(guest_path("hello"))
    if segments is None:
        segments = (SegmentSeal(16, len(JOURNAL), bytes(range(256)) * 10),)
    return Receipt(image_id=program.image_id, exit_code=7, journal=JOURNAL,
                   params=ProofParams(), security_bits=100.04,
                   image=ProgramImage.from_program(program) if image else None,
                   segments=segments, global_pow_nonce=0x0123_4567_89AB_CDEF)


def several(image: bool = False) -> Receipt:
    """A receipt of four segments of different heights; the journal is written in the
    first, third and fourth (the second writes none), and the seals differ."""
    return sample(image, (SegmentSeal(10, 3, b"first seal"), SegmentSeal(12, 3, b"\x00" * 40),
                          SegmentSeal(11, 12, bytes(range(7))),
                          SegmentSeal(10, len(JOURNAL), b"last")))


def same(a: Receipt, b: Receipt) -> bool:
    return (a.image_id, a.exit_code, a.journal, a.params, a.security_bits, a.segments,
            a.image, a.global_pow_nonce) == \
        (b.image_id, b.exit_code, b.journal, b.params, b.security_bits, b.segments, b.image,
         b.global_pow_nonce)


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


# --- segments (format version 3; the global nonce since version 4) ---------------------------------------------------------

def test_the_segment_layout_is_the_documented_one():
    receipt = several()
    data = encode_receipt(receipt)
    body = data[_segments_section_at(data) + 8:]
    assert body[:4] == (4).to_bytes(4, "little")
    assert int.from_bytes(body[4:12], "little") == receipt.global_pow_nonce
    pos = 12
    for segment in receipt.segments:
        assert body[pos] == segment.log_trace_height
        assert int.from_bytes(body[pos + 1:pos + 5], "little") == segment.journal_end
        assert int.from_bytes(body[pos + 5:pos + 9], "little") == len(segment.seal)
        assert body[pos + 9:pos + 9 + len(segment.seal)] == segment.seal
        pos += 9 + len(segment.seal)
    assert pos == len(body)


@pytest.mark.parametrize("image", [True, False])
@pytest.mark.parametrize("make", [sample, several])
def test_round_trip_of_one_and_of_several_segments(make, image):
    receipt = make(image)
    decoded = decode_receipt(encode_receipt(receipt))
    assert same(decoded, receipt) and decoded == receipt
    assert decoded.segment_count == len(receipt.segments)
    assert decoded.log_trace_height == max(s.log_trace_height for s in receipt.segments)
    assert decoded.seal_bytes == sum(len(s.seal) for s in receipt.segments)
    assert isinstance(decoded.segments, tuple)


def test_the_properties_of_several_segments():
    receipt = several()
    assert receipt.segment_count == 4
    assert receipt.log_trace_height == 12
    assert receipt.seal_bytes == 10 + 40 + 7 + 4


def test_a_receipt_has_at_least_one_segment():
    with pytest.raises(ValueError, match="at least one segment"):
        sample(segments=())
    with pytest.raises(TypeError):
        sample(segments=((16, len(JOURNAL), b"seal"),))
    listed = sample(segments=[SegmentSeal(16, len(JOURNAL), b"seal")])
    assert isinstance(listed.segments, tuple)


def _segments_section_at(data: bytes) -> int:
    """Where the segments section (the last) starts."""
    pos = len(MAGIC) + 4
    while True:
        tag = int.from_bytes(data[pos:pos + 4], "little")
        if tag == TAG_SEGMENTS:
            return pos
        pos += 8 + int.from_bytes(data[pos + 4:pos + 8], "little")


def _with_segments_body(body: bytes, receipt: Receipt | None = None) -> bytes:
    """The (detached) sample's bytes with the segments section's body replaced."""
    data = encode_receipt(receipt or sample(image=False))
    at = _segments_section_at(data)
    return data[:at] + struct.pack("<II", TAG_SEGMENTS, len(body)) + body


def _head(count: int, nonce: int = 0) -> bytes:
    """The segments section's head: the count and the global proof-of-work nonce."""
    return struct.pack("<IQ", count, nonce)


def _entry(log_height: int, journal_end: int, seal: bytes) -> bytes:
    return struct.pack("<BII", log_height, journal_end, len(seal)) + seal


def _refused(data: bytes, match: str) -> None:
    """``data`` is refused with ``match`` in the reason, without decoding allocating
    more than a few times the file's size."""
    import tracemalloc
    tracemalloc.start()
    try:
        with pytest.raises(ReceiptError, match=match):
            decode_receipt(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4 * len(data) + (64 << 10), (peak, len(data))


def test_the_hand_made_segments_section_decodes():
    # the helpers above write what the encoder writes
    body = _head(2, 2**64 - 1) + _entry(10, 5, b"ab") + _entry(11, len(JOURNAL), b"cd")
    decoded = decode_receipt(_with_segments_body(body))
    assert decoded.segments == (SegmentSeal(10, 5, b"ab"), SegmentSeal(11, len(JOURNAL), b"cd"))
    assert decoded.global_pow_nonce == 2**64 - 1


def test_a_receipt_without_segments_is_refused():
    _refused(_with_segments_body(struct.pack("<I", 0)), "no segments")


@pytest.mark.parametrize("count", [MAX_RECEIPT_SEGMENTS + 1, 0xFFFF_FFFF])
def test_a_segment_count_over_the_cap_is_refused_in_a_tiny_file(count):
    data = _with_segments_body(_head(count) + _entry(10, len(JOURNAL), b"s"))
    assert len(data) < 1000
    _refused(data, f"at most {MAX_RECEIPT_SEGMENTS:,}")


@pytest.mark.parametrize("count", [2, 1000, MAX_RECEIPT_SEGMENTS])
def test_a_segment_count_the_file_cannot_hold_is_refused_before_reading_them(count):
    data = _with_segments_body(_head(count) + _entry(10, len(JOURNAL), b"s"))
    _refused(data, "truncated: .* segments need at least")


def test_the_segment_cap_covers_the_longest_run():
    # segments of 2^10 rows, each losing at most 64 rows to zero knowledge and its
    # boundary, hold the longest run the executor records
    assert MAX_RECEIPT_SEGMENTS * ((1 << 10) - DEFAULT_PARAMS.zk_rows) >= MAX_RUN_ROWS
    assert MAX_RECEIPT_BYTES == 512 << 20


@pytest.mark.parametrize("index", [0, 2])
@pytest.mark.parametrize("log_height", [0, MAX_LOG_TRACE_HEIGHT + 1, 255])
def test_a_segment_height_out_of_range_is_refused(index, log_height):
    heights = [10, 11, 12]
    heights[index] = log_height
    body = _head(3) + _entry(heights[0], 2, b"a") + _entry(heights[1], 4, b"b") \
        + _entry(heights[2], len(JOURNAL), b"c")
    _refused(_with_segments_body(body), f"segment {index} claims a trace of "
                                        f"2\\^{log_height} rows")


def test_every_segment_height_in_range_is_accepted():
    for log_height in range(1, MAX_LOG_TRACE_HEIGHT + 1):
        body = _head(1) + _entry(log_height, len(JOURNAL), b"s")
        assert decode_receipt(_with_segments_body(body)).log_trace_height == log_height


@pytest.mark.parametrize("ends, match", [
    ((5, 4, len(JOURNAL)), "segment 1 ends the journal at byte 4, before the previous"),
    ((5, len(JOURNAL) + 1, len(JOURNAL)),
     "segment 1 ends the journal at byte 17, beyond the journal's 16 bytes"),
    ((0, 0, len(JOURNAL) - 1),
     "the last segment ends the journal at byte 15, but the journal has 16 bytes"),
    ((0, 0, 0), "the last segment ends the journal at byte 0"),
    ((0xFFFF_FFFF, 0, len(JOURNAL)), "segment 0 ends the journal at byte 4,294,967,295, beyond"),
])
def test_journal_ends_out_of_order_or_beyond_the_journal_are_refused(ends, match):
    assert len(JOURNAL) == 16
    body = _head(3) + b"".join(_entry(10, end, b"s") for end in ends)
    _refused(_with_segments_body(body), match)


def test_segments_may_write_no_journal():
    receipt = sample(segments=(SegmentSeal(10, 0, b"a"), SegmentSeal(10, 0, b"b"),
                               SegmentSeal(10, len(JOURNAL), b"c")))
    assert same(decode_receipt(encode_receipt(receipt)), receipt)
    empty = Receipt(**{**sample(image=False).__dict__, "journal": b"",
                       "segments": (SegmentSeal(10, 0, b"a"), SegmentSeal(10, 0, b"b"))})
    assert same(decode_receipt(encode_receipt(empty)), empty)


@pytest.mark.parametrize("index", [0, 1])
def test_a_seal_longer_than_the_file_is_refused(index):
    entries = [_entry(10, 0, b"a"), _entry(10, len(JOURNAL), b"b")]
    entries[index] = struct.pack("<BII", 10, 0 if index == 0 else len(JOURNAL), 1 << 20) + b"x"
    _refused(_with_segments_body(_head(2) + b"".join(entries)),
             "truncated: the seal of segment")


def test_a_seal_over_the_cap_is_refused():
    body = _head(1) + struct.pack("<BII", 10, len(JOURNAL), MAX_SEAL_BYTES + 1)
    _refused(_with_segments_body(body), f"limit {MAX_SEAL_BYTES}")


@pytest.mark.parametrize("image", [False, True])
def test_every_truncation_of_a_multi_segment_receipt_is_a_receipt_error(image):
    data = encode_receipt(several(image))
    for cut in range(len(data)):
        try:
            decode_receipt(data[:cut])
        except ReceiptError as error:
            assert str(error)
            continue
        raise AssertionError(f"a receipt cut to {cut} of {len(data)} bytes decoded")


def test_trailing_bytes_after_or_inside_the_segments_are_refused():
    data = encode_receipt(several())
    for extra in (b"\x00", bytes(9), os.urandom(50)):
        with pytest.raises(ReceiptError, match="trailing"):
            decode_receipt(data + extra)
    # inside the segments section: its length covers bytes after the last segment
    body = data[_segments_section_at(data) + 8:]
    with pytest.raises(ReceiptError, match="segments section has 3 unexpected trailing"):
        decode_receipt(_with_segments_body(body + b"abc", several()))


def test_a_segments_section_in_place_of_another_is_refused():
    data = encode_receipt(sample(image=False))
    at = _segments_section_at(data)
    with pytest.raises(ReceiptError, match="has segments where the claim section belongs"):
        decode_receipt(data[:len(MAGIC) + 4] + data[at:])
    # a claim section where the segments belong
    params_end = _segments_section_at(data)
    with pytest.raises(ReceiptError, match="has claim where the segments section belongs"):
        decode_receipt(data[:params_end] + struct.pack("<II", TAG_CLAIM, 0))
    with pytest.raises(ReceiptError, match="has parameters where the segments section belongs"):
        decode_receipt(data[:params_end] + struct.pack("<II", TAG_PARAMS, 0))


def _version_2(receipt: Receipt) -> bytes:
    """``receipt`` as zkwb wrote it in format version 2: the trace height in the
    parameters section, one seal in section 4."""
    from engine.codec import Writer

    def section(w: Writer, tag: int, body: Writer) -> None:
        payload = body.getvalue()
        w.u32(tag)
        w.u32(len(payload))
        w.raw(payload)

    w = Writer()
    w.raw(MAGIC)
    w.u32(2)
    claim = Writer()
    claim.raw(receipt.image_id)
    claim.u32(receipt.exit_code)
    claim.blob(receipt.journal)
    section(w, 1, claim)
    params = Writer()
    params.u32_array(receipt.params.to_words())
    params.u32(round(receipt.security_bits * 100))
    params.u8(receipt.segments[0].log_trace_height)
    section(w, 2, params)
    seal = Writer()
    seal.blob(receipt.segments[0].seal)
    section(w, 4, seal)
    return w.getvalue()


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_receipt_of_an_older_format_says_to_prove_again(version):
    data = bytearray(_version_2(sample(image=False)))
    data[len(MAGIC)] = version
    with pytest.raises(ReceiptError, match=f"made by an older zkwb \\(format {version}\\); "
                                           "prove it again"):
        decode_receipt(bytes(data))
    assert FORMAT_VERSION == 4


def test_decoding_allocates_about_the_file_not_what_it_claims():
    import tracemalloc
    big = sample(image=False, segments=tuple(SegmentSeal(20, len(JOURNAL) * (i == 2),
                                                         os.urandom(1 << 20))
                                             for i in range(3)))
    data = encode_receipt(big)
    tracemalloc.start()
    try:
        decoded = decode_receipt(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert same(decoded, big)
    assert peak <= len(data) + (256 << 10), (peak, len(data))
