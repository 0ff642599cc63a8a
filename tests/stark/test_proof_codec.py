"""Proof encoding: the documented layout, exact round trips, and strict, bounded decoding."""
from __future__ import annotations

import dataclasses
import struct
import time

import numpy as np
import pytest

from engine.codec import DecodeError
from engine.field.babybear import P
from engine.stark import ProofLimits, decode_proof, encode_proof, verify
from engine.stark.examples import lookup
from engine.stark.proof import PROOF_MAGIC, PROOF_VERSION
from tests.stark.example_proofs import example_proof

SEED = 41


def _header(data: bytes) -> tuple:
    magic, version, log_height, centibits, flags = struct.unpack_from("<4sBBIB", data)
    return magic, version, log_height, centibits, flags


@pytest.mark.parametrize("name,flags", [("fibonacci", 0), ("lookup", 3)])
def test_encoding_starts_with_the_documented_header(name, flags):
    data = encode_proof(example_proof(name, SEED).proof)
    assert _header(data) == (PROOF_MAGIC, PROOF_VERSION, 10, 10200, flags)
    assert PROOF_MAGIC == b"ZKWP" and PROOF_VERSION == 1


def test_roots_follow_the_header_in_order():
    proof = example_proof("lookup", SEED).proof
    data = encode_proof(proof)
    offset = 11
    assert data[offset:offset + 32] == proof.preprocessed_root
    assert data[offset + 32:offset + 64] == proof.main_root
    assert data[offset + 64:offset + 96] == proof.aux_root
    assert struct.unpack_from("<Q", data, offset + 96)[0] == proof.logup_pow_nonce
    assert struct.unpack_from("<I4I", data, offset + 104) == (4, *proof.logup_sum.tolist())
    assert data[offset + 124:offset + 156] == proof.quotient_root


@pytest.mark.parametrize("name", ["fibonacci", "lookup"])
def test_decoding_restores_every_field(name):
    proof = example_proof(name, SEED).proof
    decoded = decode_proof(encode_proof(proof))
    for f in ("log_height", "security_centibits", "preprocessed_root", "main_root",
              "aux_root", "logup_pow_nonce", "quotient_root"):
        assert getattr(decoded, f) == getattr(proof, f)
    assert np.array_equal(decoded.logup_sum, proof.logup_sum)
    a, b = decoded.opening, proof.opening
    assert a.mask_root == b.mask_root
    for x, y in zip(a.opened_values, b.opened_values):
        assert x.dtype == np.uint32 and x.shape == y.shape and np.array_equal(x, y)
    for x, y in zip(a.query_openings + a.fri.layer_openings,
                    b.query_openings + b.fri.layer_openings):
        assert all(np.array_equal(u, v) and u.dtype == np.uint32
                   for u, v in zip(x.values, y.values))
        assert x.nodes.dtype == np.uint8 and np.array_equal(x.nodes, y.nodes)
    assert a.fri.layer_roots == b.fri.layer_roots
    assert np.array_equal(a.fri.final_poly, b.fri.final_poly)
    assert a.fri.pow_nonce == b.fri.pow_nonce


def test_decoded_proof_verifies():
    _, witness, proof = example_proof("lookup", SEED)
    decoded = decode_proof(bytearray(encode_proof(proof)))
    assert verify(lookup.build_air(), decoded, public_values=witness.publics).valid


@pytest.mark.parametrize("change,match", [
    (lambda d: b"ZKWQ" + d[4:], "magic"),
    (lambda d: d[:4] + b"\x02" + d[5:], "version"),
    (lambda d: d[:5] + b"\x1c" + d[6:], "log_height"),
    (lambda d: d[:10] + b"\x33" + d[11:], "flags"),
    (lambda d: b"", "truncated"),
    (lambda d: d + b"\0", "trailing"),
])
def test_malformed_headers_are_refused(change, match):
    data = encode_proof(example_proof("lookup", SEED).proof)
    with pytest.raises(DecodeError, match=match):
        decode_proof(change(data))


def test_a_non_canonical_field_element_is_refused():
    data = bytearray(encode_proof(example_proof("lookup", SEED).proof))
    offset = 11 + 104 + 4                     # first coordinate of the LogUp sum
    value = struct.unpack_from("<I", data, offset)[0]
    struct.pack_into("<I", data, offset, value + P)
    with pytest.raises(DecodeError, match="≥"):
        decode_proof(bytes(data))


def test_limits_are_enforced():
    data = encode_proof(example_proof("lookup", SEED).proof)
    with pytest.raises(DecodeError, match="limit"):
        decode_proof(data, ProofLimits(max_bytes=len(data) - 1))
    with pytest.raises(DecodeError):
        decode_proof(data, ProofLimits(max_rows=10))
    with pytest.raises(DecodeError):
        decode_proof(data, ProofLimits(max_columns=2))
    with pytest.raises(DecodeError):
        decode_proof(data, ProofLimits(max_fri_layers=2))
    assert decode_proof(data, ProofLimits(max_bytes=len(data))).log_height == 10


def test_huge_counts_fail_fast_without_allocating():
    # A header, no roots beyond main and quotient, then one group claiming
    # 4 points x 65536 columns: 4 MiB of values announced, 4 bytes present.
    data = (PROOF_MAGIC + bytes([PROOF_VERSION, 10]) + struct.pack("<I", 10200) + b"\0"
            + bytes(64) + bytes([1, 4]) + struct.pack("<II", 1 << 16, 4 * 4 << 16)
            + bytes(4))
    start = time.perf_counter()
    with pytest.raises(DecodeError, match="truncated"):
        decode_proof(data)
    assert time.perf_counter() - start < 0.1


def test_decode_refuses_things_that_are_not_bytes():
    with pytest.raises(DecodeError):
        decode_proof("ZKWP")


def test_encode_refuses_malformed_proofs():
    proof = example_proof("lookup", SEED).proof
    with pytest.raises(TypeError):
        encode_proof("proof")
    with pytest.raises(ValueError):
        encode_proof(dataclasses.replace(proof, main_root=b"short"))
    with pytest.raises(ValueError):
        encode_proof(dataclasses.replace(proof, logup_sum=proof.logup_sum.astype(np.int64)))
    fib = example_proof("fibonacci", SEED).proof
    with pytest.raises(ValueError):
        encode_proof(dataclasses.replace(fib, logup_pow_nonce=5))
