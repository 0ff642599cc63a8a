"""The receipt file format (``.zkr``, ``docs/receipt-format.md``): encode, decode, read,
write.

A receipt file is untrusted input, usually dragged into a window. Decoding reads it
field by field with ``engine.codec.Reader``: every count is capped and checked against
the bytes that remain before anything is allocated, field elements and addresses are
range-checked, and trailing bytes are rejected. Nothing is unpickled or evaluated.
``FORMAT_VERSION`` changes whenever the layout does.

Decoding checks structure only. Whether the seals prove the claim, and whether the
embedded program matches the image ID, is the verifier's business.
"""
from __future__ import annotations

import os

import numpy as np

from engine.codec import DecodeError, Reader, Writer
from engine.fileio import read_bounded, write_atomic
from engine.receipt.claim import Receipt, SegmentSeal
from engine.receipt.image import ProgramImage
from engine.stark.params import PARAMS_VERSION, ProofParams
from engine.vm.memory_map import (GUEST_MEMORY_END, GUEST_MEMORY_START, MAX_JOURNAL_BYTES,
                                  MAX_RUN_ROWS, MAX_SEGMENTS)

MAGIC = b"ZKWB-RCT"
FORMAT_VERSION = 4
#: The largest receipt file: a run of many segments (each seal is about 260 KB).
MAX_RECEIPT_BYTES = 512 << 20
MAX_SEAL_BYTES = 48 << 20
#: Distinct word addresses in guest memory: no image can list more words.
MAX_IMAGE_WORDS = (GUEST_MEMORY_END - GUEST_MEMORY_START) >> 2
MAX_LOG_TRACE_HEIGHT = 27            # the two-adicity of BabyBear
#: Enough segments for the longest run (``MAX_RUN_ROWS``) in segments of 2^10 rows,
#: each losing up to 128 rows to zero knowledge (98 with the shipped parameters):
#: 2^20 · (2^10 − 128) > MAX_RUN_ROWS.
MAX_RECEIPT_SEGMENTS = 1 << 20
#: The bytes of a segment's entry without its seal: u8 height, u32 journal end, u32
#: seal length (the section starts with a u32 count and the u64 global nonce).
SEGMENT_HEADER_BYTES = 1 + 4 + 4

TAG_CLAIM, TAG_PARAMS, TAG_IMAGE, TAG_SEGMENTS = 1, 2, 3, 4
_SECTION_NAMES = {TAG_CLAIM: "claim", TAG_PARAMS: "parameters", TAG_IMAGE: "program image",
                  TAG_SEGMENTS: "segments"}

assert MAX_RECEIPT_SEGMENTS * ((1 << 10) - 128) > MAX_RUN_ROWS


class ReceiptError(DecodeError):
    """The bytes are not a well-formed zkwb receipt."""


def encode_receipt(receipt: Receipt) -> bytes:
    """The receipt's bytes (``docs/receipt-format.md``)."""
    w = Writer()
    w.raw(MAGIC)
    w.u32(FORMAT_VERSION)

    claim = Writer()
    claim.raw(receipt.image_id)
    claim.u32(receipt.exit_code)
    claim.blob(receipt.journal)
    _section(w, TAG_CLAIM, claim)

    params = Writer()
    params.u32_array(receipt.params.to_words())
    params.u32(round(receipt.security_bits * 100))
    _section(w, TAG_PARAMS, params)

    if receipt.image is not None:
        img = Writer()
        img.u32(receipt.image.entry)
        img.u32_array(np.asarray(receipt.image.code_ranges, dtype=np.uint32).reshape(-1))
        img.u32(receipt.image.heap_start)
        img.u32_array(receipt.image.word_addresses)
        img.u32_array(receipt.image.word_values)
        _section(w, TAG_IMAGE, img)

    segments = Writer()
    segments.u32(len(receipt.segments))
    segments.u64(receipt.global_pow_nonce)
    for segment in receipt.segments:
        segments.u8(segment.log_trace_height)
        segments.u32(segment.journal_end)
        segments.blob(segment.seal)
    _section(w, TAG_SEGMENTS, segments)
    return w.getvalue()


def decode_receipt(data: bytes) -> Receipt:
    """Parse a receipt; raises ``ReceiptError`` with a readable reason on anything
    malformed, truncated, oversized or followed by trailing bytes."""
    if len(data) > MAX_RECEIPT_BYTES:
        raise ReceiptError(f"a receipt is at most {MAX_RECEIPT_BYTES >> 20} MiB; this is "
                           f"{len(data):,} bytes")
    if not data.startswith(MAGIC):
        if len(data) < len(MAGIC) and MAGIC.startswith(data):
            raise ReceiptError("the receipt is truncated inside its header")
        raise ReceiptError("this is not a zkwb receipt (it does not start with "
                           f"{MAGIC.decode()})")
    try:
        return _decode(data)
    except ReceiptError:
        raise
    except DecodeError as e:
        raise ReceiptError(str(e)) from None


def read_receipt(path: str | os.PathLike) -> Receipt:
    """Read and decode a receipt file. Raises ``InputError`` for unreadable or
    oversized files (refused by their size, before reading) and ``ReceiptError`` for
    malformed ones."""
    return decode_receipt(read_bounded(path, MAX_RECEIPT_BYTES, "receipt"))


def write_receipt(path: str | os.PathLike, receipt: Receipt) -> int:
    """Write a receipt atomically (never a partial file); returns its size in bytes."""
    data = encode_receipt(receipt)
    write_atomic(path, data)
    return len(data)


def _section(w: Writer, tag: int, body: Writer) -> None:
    payload = body.getvalue()
    w.u32(tag)
    w.u32(len(payload))
    w.raw(payload)


def _decode(data: bytes) -> Receipt:
    r = Reader(data, "the receipt")
    r.raw(len(MAGIC), "magic")
    version = r.u32("format version")
    if version < FORMAT_VERSION:
        raise ReceiptError(f"this receipt was made by an older zkwb (format {version}); "
                           f"prove it again (this zkwb reads format {FORMAT_VERSION})")
    if version != FORMAT_VERSION:
        raise ReceiptError(f"receipt format version {version} is not supported (this zkwb "
                           f"reads version {FORMAT_VERSION})")

    claim = _open_section(r, TAG_CLAIM)
    image_id = claim.raw(32, "image ID")
    exit_code = claim.u32("exit code")
    journal = claim.blob("journal", MAX_JOURNAL_BYTES)
    claim.finish()

    params_r = _open_section(r, TAG_PARAMS)
    words = params_r.u32_array("proof parameters", 64)
    params = _params_from_words(words)
    security_bits = params_r.u32("security bits", 256 * 100) / 100
    params_r.finish()

    image = None
    if r.peek_u32() == TAG_IMAGE:
        image = _decode_image(_open_section(r, TAG_IMAGE))
    segments, nonce = _decode_segments(_open_section(r, TAG_SEGMENTS), len(journal))
    r.finish()
    return Receipt(image_id=image_id, exit_code=exit_code, journal=journal, params=params,
                   security_bits=security_bits, image=image, segments=segments,
                   global_pow_nonce=nonce)


def _open_section(r: Reader, tag: int) -> Reader:
    name = _SECTION_NAMES[tag]
    got = r.u32(f"tag of the {name} section")
    if got != tag:
        expected = f"the {name} section"
        found = _SECTION_NAMES.get(got, f"unknown section {got}")
        raise ReceiptError(f"the receipt has {found} where {expected} belongs")
    length = r.u32(f"length of the {name} section", r.remaining)
    return r.sub(length, f"the {name} section", f"the receipt's {name} section")


def _params_from_words(words: np.ndarray) -> ProofParams:
    expected = len(ProofParams().to_words())
    if len(words) != expected or int(words[0]) != PARAMS_VERSION:
        raise ReceiptError("the receipt's proof parameters are in a format this zkwb does "
                           "not know")
    names = [f for f in ProofParams.__dataclass_fields__]
    values = {name: int(v) for name, v in zip(names, words[1:])}
    if values["zk"] not in (0, 1):
        raise ReceiptError("the receipt's zero-knowledge flag is neither 0 nor 1")
    values["zk"] = bool(values["zk"])
    try:
        return ProofParams(**values)
    except (ValueError, TypeError) as e:
        raise ReceiptError(f"the receipt's proof parameters are out of range: {e}") from None


def _decode_image(r: Reader) -> ProgramImage:
    entry = r.u32("entry point")
    ranges = r.u32_array("code ranges", 2 * MAX_SEGMENTS)
    if len(ranges) % 2 or not len(ranges):
        raise ReceiptError("the receipt's program image has a malformed list of code ranges")
    pairs = tuple((int(a), int(b)) for a, b in ranges.reshape(-1, 2))
    flat = [x for pair in pairs for x in pair]
    if any(b <= a for a, b in pairs) or flat != sorted(flat) or \
            flat[0] < GUEST_MEMORY_START or flat[-1] > GUEST_MEMORY_END:
        raise ReceiptError("the receipt's code ranges are not sorted, disjoint ranges inside "
                           "guest memory")
    heap_start = r.u32("heap start")
    if not GUEST_MEMORY_START <= heap_start <= GUEST_MEMORY_END:
        raise ReceiptError("the receipt's heap start lies outside guest memory")
    addresses = r.u32_array("memory word addresses", MAX_IMAGE_WORDS)
    values = r.u32_array("memory word values", MAX_IMAGE_WORDS, expect=len(addresses))
    r.finish()
    if len(addresses):
        if np.any(np.diff(addresses.astype(np.int64)) <= 0):
            raise ReceiptError("the receipt's memory words are not in increasing address order")
        if int(addresses[0]) < GUEST_MEMORY_START >> 2 or \
                int(addresses[-1]) >= GUEST_MEMORY_END >> 2:
            raise ReceiptError("the receipt's program image has words outside guest memory")
        if np.any(values == 0):
            raise ReceiptError("the receipt's program image lists zero words (they are "
                               "implicit)")
    return ProgramImage(entry, pairs, heap_start, addresses, values)


def _decode_segments(r: Reader, journal_length: int) -> tuple[tuple[SegmentSeal, ...], int]:
    """The segments section and the global proof-of-work nonce: the count is checked
    against its cap and against the bytes that remain (each segment takes at least
    ``SEGMENT_HEADER_BYTES``) before any segment is read, each seal's length against
    ``MAX_SEAL_BYTES`` and the bytes that remain before it is copied."""
    count = r.u32("segment count")
    if count == 0:
        raise ReceiptError("the receipt has no segments")
    if count > MAX_RECEIPT_SEGMENTS:
        raise ReceiptError(f"the receipt claims {count:,} segments; a run has at most "
                           f"{MAX_RECEIPT_SEGMENTS:,}")
    nonce = r.u64("global proof-of-work nonce")
    if count * SEGMENT_HEADER_BYTES > r.remaining:
        raise ReceiptError(f"the receipt is truncated: {count:,} segments need at least "
                           f"{count * SEGMENT_HEADER_BYTES:,} bytes, {r.remaining:,} remain")
    segments = []
    previous_end = 0
    for index in range(count):
        name = f"segment {index}"
        log_height = r.u8(f"trace height of {name}")
        if not 1 <= log_height <= MAX_LOG_TRACE_HEIGHT:
            raise ReceiptError(f"{name} claims a trace of 2^{log_height} rows, which no zkwb "
                               "proof can have")
        journal_end = r.u32(f"journal end of {name}")
        if journal_end < previous_end:
            raise ReceiptError(f"{name} ends the journal at byte {journal_end:,}, before the "
                               f"previous segment's end ({previous_end:,})")
        if journal_end > journal_length:
            raise ReceiptError(f"{name} ends the journal at byte {journal_end:,}, beyond the "
                               f"journal's {journal_length:,} bytes")
        seal = r.blob(f"the seal of {name}", MAX_SEAL_BYTES)
        segments.append(SegmentSeal(log_height, journal_end, seal))
        previous_end = journal_end
    if previous_end != journal_length:
        raise ReceiptError(f"the last segment ends the journal at byte {previous_end:,}, but "
                           f"the journal has {journal_length:,} bytes")
    r.finish()
    return tuple(segments), nonce
