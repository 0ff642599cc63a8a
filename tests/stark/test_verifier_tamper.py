"""Tampering with any part of a proof — any field of the data, any byte of its encoding —
ends in a clean rejection: never a valid verdict, never an exception, never the
verifier's internal-error reason."""
from __future__ import annotations

import dataclasses
import functools
import itertools
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.codec import DecodeError, Writer
from engine.field.babybear import P
from engine.stark import decode_proof, encode_proof, verify
from engine.stark import proof as proof_module
from tests.rejection import assert_rejected
from tests.stark.example_proofs import example_proof, proof_leaves, replaced

SHAPE = "the proof does not have the shape its parameters and height imply"
# The checks a tampered proof of the lookup example can fail, each named by how its
# reason starts (engine/stark/verifier.py): the proof's type, height and shape, the
# stated security, the roots and the LogUp sum as data, the preprocessed root, the LogUp
# grinding (anything absorbed before it changed), the bus balance, the openings (FRI
# and every Merkle path, engine/stark/pcs.py) and the constraints at ζ.
CHECKS = ("the proof is not a Proof", "the trace height ", "the proof states ", SHAPE,
          "the main root is not", "the aux root is not", "the quotient root is not",
          "the preprocessed columns do not match", "the LogUp sum is not one canonical",
          "the LogUp proof of work is invalid", "the LogUp sum S and the public messages",
          "openings: ", "the constraints do not hold")


def _case():
    # The lookup example has every kind of commitment: preprocessed, main, aux, quotient.
    return example_proof("lookup", 31)


def _assert_rejected(proof, *expected: str) -> None:
    """``proof`` is rejected by one of the checks ``expected`` names (by default any of
    the verifier's checks), never by a verifier that raised."""
    air, witness, _ = _case()
    assert_rejected(verify(air, proof, public_values=witness.publics), *(expected or CHECKS))


# --- walking the proof's fields ------------------------------------------------------------

def _name(path) -> str:
    return ".".join(str(p) for p in path)


def _positions(size: int) -> list[int]:
    """Every position of a small array; first, last and a spread of a large one."""
    if size <= 256:
        return list(range(size))
    return sorted({0, size - 1, *range(7, size, max(1, size // 24))})


def _mutations(value):
    """Changed copies of one leaf: (label, new value)."""
    if isinstance(value, bytes):
        if value:
            yield "first byte flipped", bytes([value[0] ^ 1]) + value[1:]
            yield "last byte flipped", value[:-1] + bytes([value[-1] ^ 0x80])
            yield "truncated", value[:-1]
        yield "extended", value + b"\0"
        yield "not bytes", value.hex()
    elif isinstance(value, int):
        yield "plus one", value + 1
        if value:
            yield "minus one", value - 1
        yield "negative", -1
        yield "float", float(value)
        yield "huge", 1 << 70
    elif isinstance(value, np.ndarray):
        flat = value.reshape(-1)
        for i in _positions(flat.size):
            changed = flat.copy()
            if value.dtype == np.uint8:
                changed[i] ^= 1
            else:
                changed[i] = (int(changed[i]) + 1) % P
            yield f"element {i} changed", changed.reshape(value.shape)
        if value.dtype == np.uint32 and flat.size:
            noncanonical = flat.copy()
            noncanonical[0] += np.uint32(P)
            yield "element 0 not canonical", noncanonical.reshape(value.shape)
        if value.ndim >= 1 and value.shape[0]:
            yield "last row dropped", value[:-1].copy()
            yield "a row repeated", np.concatenate([value, value[-1:]])
        yield "int64 dtype", value.astype(np.int64)
        yield "a list", value.tolist()
        if value.ndim > 1:
            yield "flattened", flat.copy()


def _cases():
    _, _, proof = _case()
    for path, value in proof_leaves(proof):
        for label, new in _mutations(value):
            yield _name(path), label, path, new


def test_every_field_is_reached():
    names = {name for name, *_ in _cases()}
    for expected in ("log_height", "security_centibits", "preprocessed_root", "main_root",
                     "aux_root", "logup_pow_nonce", "logup_sum", "quotient_root",
                     "opening.mask_root", "opening.fri.pow_nonce", "opening.fri.final_poly"):
        assert expected in names
    for group in range(4):
        assert f"opening.opened_values.{group}" in names
        assert f"opening.query_openings.{group}.values.0" in names
        assert f"opening.query_openings.{group}.nodes" in names
    assert "opening.query_openings.4.nodes" in names          # the FRI mask's tree
    assert "opening.fri.layer_roots.0" in names
    assert "opening.fri.layer_openings.0.values.0" in names


def test_every_tampered_field_is_rejected():
    _, _, proof = _case()
    checked = 0
    for name, label, path, new in _cases():
        try:
            _assert_rejected(replaced(proof, path, new))
        except AssertionError as error:
            raise AssertionError(f"{name}, {label}: {error}") from None
        checked += 1
    assert checked > 500


@pytest.mark.parametrize("field,value,reason", [
    ("opening", None, "the proof has no opening proof"),
    ("logup_sum", None, "the LogUp sum is not one canonical extension element"),
    ("main_root", None, "the main root is not 32 bytes"),
    ("log_height", "10", "is outside the supported"), ("log_height", 40, "2^40 is outside"),
    ("log_height", 9, "2^9 is outside"), ("log_height", True, "is outside the supported"),
    ("aux_root", b"", "the proof's LogUp data does not match the AIR"),
    ("preprocessed_root", b"", "the proof's preprocessed root does not match the AIR"),
    ("preprocessed_root", np.zeros(32, np.uint8), "preprocessed root does not match the AIR"),
    ("aux_root", np.zeros(32, np.uint8), "the proof's LogUp data does not match the AIR"),
    ("logup_pow_nonce", np.uint64(0), "the LogUp proof of work is invalid"),
    ("security_centibits", np.uint32(10200), "centibits of security, the verifier computes"),
    ("quotient_root", bytearray(32), "the quotient root is not 32 bytes"),
])
def test_malformed_fields_are_rejected_without_raising(field, value, reason):
    _, _, proof = _case()
    _assert_rejected(dataclasses.replace(proof, **{field: value}), reason)


@pytest.mark.parametrize("garbage", [None, b"proof", 42, object()])
def test_things_that_are_not_proofs_are_rejected(garbage):
    _assert_rejected(garbage, "the proof is not a Proof")


def test_opened_groups_swapped_or_missing_are_rejected():
    _, _, proof = _case()
    opening = proof.opening
    values = opening.opened_values
    for changed in [values[::-1], values[:-1], values + values[-1:]]:
        _assert_rejected(dataclasses.replace(
            proof, opening=dataclasses.replace(opening, opened_values=changed)), SHAPE)
    openings = opening.query_openings
    for changed in [openings[::-1], openings[:-1], openings + openings[-1:]]:
        _assert_rejected(dataclasses.replace(
            proof, opening=dataclasses.replace(opening, query_openings=changed)), SHAPE)


# --- the encoding, byte by byte ---------------------------------------------------------

class _RecordingWriter(Writer):
    """Writer that records the byte range of every field it writes."""

    regions: ClassVar[list[tuple[int, int]]] = []

    def __init__(self):
        super().__init__()
        self._size = 0
        _RecordingWriter.regions = []

    def _record(self, before: int) -> None:
        self._size = sum(len(part) for part in self._parts)
        _RecordingWriter.regions.append((before, self._size))

    def u8(self, value):
        before = self._size
        super().u8(value)
        self._record(before)

    def u32(self, value):
        before = self._size
        super().u32(value)
        self._record(before)

    def u64(self, value):
        before = self._size
        super().u64(value)
        self._record(before)

    def raw(self, data):
        before = self._size
        super().raw(data)
        self._record(before)

    def u32_array(self, values):
        before = self._size
        super().u32(np.asarray(values).size)
        self._record(before)
        before = self._size
        self._parts.append(np.ascontiguousarray(values, dtype="<u4").reshape(-1).tobytes())
        self._record(before)


@functools.cache
def _encoding():
    _, _, proof = _case()
    original = proof_module.Writer
    proof_module.Writer = _RecordingWriter
    try:
        data = encode_proof(proof)
    finally:
        proof_module.Writer = original
    assert data == encode_proof(proof)
    return data, tuple(_RecordingWriter.regions)


def _rejected_bytes(data: bytes) -> None:
    try:
        decoded = decode_proof(data)
    except DecodeError:
        return
    _assert_rejected(decoded)


def test_encoding_regions_cover_every_byte():
    data, regions = _encoding()
    assert regions[0][0] == 0 and regions[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(regions))
    assert len(regions) > 60


def test_flipping_a_byte_in_any_region_is_rejected():
    data, regions = _encoding()
    offsets = set()
    for start, stop in regions:
        offsets.update({start, stop - 1, (start + stop) // 2})
    for offset in sorted(offsets):
        for mask in (0x01, 0x80):
            changed = bytearray(data)
            changed[offset] ^= mask
            try:
                _rejected_bytes(bytes(changed))
            except AssertionError as error:
                raise AssertionError(f"byte {offset} ^ {mask:#x}: {error}") from None


def test_truncated_encodings_do_not_decode():
    data, regions = _encoding()
    cuts = {0, len(data) - 1}
    for start, stop in regions:
        cuts.update({start, stop - 1})
    cuts.update(range(0, len(data), 97))
    for cut in sorted(cuts):
        with pytest.raises(DecodeError):
            decode_proof(data[:cut])


@pytest.mark.parametrize("extra", [b"\0", b"\0" * 4, b"ZKWP", bytes(range(40))])
def test_extended_encodings_do_not_decode(extra):
    data, _ = _encoding()
    with pytest.raises(DecodeError, match="trailing"):
        decode_proof(data + extra)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10 ** 9), st.integers(1, 255)), min_size=1,
                max_size=4))
def test_random_byte_changes_are_rejected(changes):
    data, _ = _encoding()
    changed = bytearray(data)
    for position, mask in changes:
        changed[position % len(data)] ^= mask
    assume(bytes(changed) != data)
    _rejected_bytes(bytes(changed))


@pytest.mark.parametrize("field,value,reason", [
    ("aux_root", np.zeros(32, np.uint8), "the proof's LogUp data does not match the AIR"),
    ("logup_pow_nonce", np.uint64(0), "the proof has LogUp data but the AIR has no buses"),
    ("preprocessed_root", np.zeros(32, np.uint8), "preprocessed root does not match the AIR"),
    ("logup_sum", np.zeros(4, np.uint32), "the proof has LogUp data but the AIR has no buses"),
])
def test_an_air_without_those_columns_rejects_foreign_fields(field, value, reason):
    air, witness, proof = example_proof("fibonacci", 33)
    assert_rejected(verify(air, dataclasses.replace(proof, **{field: value}),
                           public_values=witness.publics), reason)
