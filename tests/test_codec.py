"""The bounded encoding under round trips, truncation, caps and trailing bytes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.codec import DecodeError, Reader, Writer


def sample() -> bytes:
    w = Writer()
    w.raw(b"MAGC")
    w.u8(7)
    w.u32(123456)
    w.u64(1 << 40)
    w.blob(b"journal bytes")
    w.u32_array(np.arange(10, dtype=np.uint32).reshape(2, 5))
    return w.getvalue()


def read_sample(data: bytes):
    r = Reader(data, "sample")
    out = (r.raw(4, "magic"), r.u8("kind"), r.u32("count"), r.u64("big"),
           r.blob("journal", 100), r.u32_array("values", 10, below=100))
    r.finish()
    return out


def test_round_trip():
    magic, kind, count, big, blob, values = read_sample(sample())
    assert (magic, kind, count, big, blob) == (b"MAGC", 7, 123456, 1 << 40, b"journal bytes")
    assert values.tolist() == list(range(10))


def test_every_truncation_is_a_decode_error_naming_the_field():
    data = sample()
    for cut in range(len(data)):
        with pytest.raises(DecodeError, match="truncated"):
            read_sample(data[:cut])


def test_trailing_bytes_are_rejected():
    with pytest.raises(DecodeError, match="trailing"):
        read_sample(sample() + b"\x00")


def test_counts_over_the_cap_are_rejected_before_allocating():
    w = Writer()
    w.u32(0xFFFFFFFF)                     # claims 4 G values
    with pytest.raises(DecodeError, match="limit"):
        Reader(w.getvalue()).u32_array("values", 1 << 20)


def test_values_out_of_range_are_rejected():
    w = Writer()
    w.u32_array(np.array([1, 2, 0x78000001], dtype=np.uint32))
    with pytest.raises(DecodeError, match="value"):
        Reader(w.getvalue()).u32_array("elements", 10, below=0x78000001)


def test_pinned_count_mismatch_is_rejected():
    w = Writer()
    w.u32_array(np.zeros(3, dtype=np.uint32))
    with pytest.raises(DecodeError, match="expected 4"):
        Reader(w.getvalue()).u32_array("x", 10, expect=4)


@given(st.binary(max_size=200))
def test_random_bytes_never_raise_anything_but_decode_error(data):
    """Random bytes are refused with a DecodeError naming what was read, or decode into
    fields that encode back to exactly those bytes (the encoding has no slack)."""
    try:
        magic, kind, count, big, blob, values = read_sample(data)
    except DecodeError as error:
        assert str(error).startswith("sample"), str(error)
        return
    w = Writer()
    w.raw(magic)
    w.u8(kind)
    w.u32(count)
    w.u64(big)
    w.blob(blob)
    w.u32_array(values)
    assert w.getvalue() == data
