"""Fiat–Shamir transcript: deterministic, injective absorption, exact sampling, proof of work."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from engine.stark.transcript import Transcript

P = 0x78000001


def _lp(data: bytes) -> bytes:
    """Length prefix: u64 little-endian length, then the bytes."""
    return len(data).to_bytes(8, "little") + data


def _transcript(*steps) -> Transcript:
    """A transcript tagged b"test" after the absorb calls ``steps`` = (method, label, data)."""
    transcript = Transcript(b"test")
    for method, label, data in steps:
        getattr(transcript, method)(label, data)
    return transcript


def test_initial_state_follows_documented_construction():
    expected = hashlib.sha256(b"zkwb-transcript-v1" + (4).to_bytes(8, "little") + b"test").digest()
    assert Transcript(b"test").state == expected


def test_absorb_and_squeeze_follow_documented_construction():
    transcript = Transcript(b"test")
    state = transcript.state
    transcript.absorb_bytes(b"lbl", b"data")
    state = hashlib.sha256(state + b"\x01" + _lp(b"lbl") + _lp(b"data")).digest()
    assert transcript.state == state
    indices = transcript.squeeze_indices(b"q", 8, 32)
    state = hashlib.sha256(state + b"\x10" + _lp(b"q")).digest()
    block = hashlib.sha256(state + b"\x11" + (0).to_bytes(8, "little")).digest()
    assert indices.tolist() == np.frombuffer(block, dtype="<u4").tolist()
    assert transcript.state == state


def test_same_calls_give_same_challenges():
    steps = [("absorb_bytes", b"claim", b"\x01\x02"), ("absorb_digest", b"root", bytes(range(32)))]
    a, b = _transcript(*steps), _transcript(*steps)
    assert a.squeeze_ext(b"alpha") == b.squeeze_ext(b"alpha")
    assert a.squeeze_base(b"beta") == b.squeeze_base(b"beta")
    assert np.array_equal(a.squeeze_indices(b"q", 50, 20), b.squeeze_indices(b"q", 50, 20))


@pytest.mark.parametrize("steps", [
    [("absorb_bytes", b"claim", b"\x01\x03")],
    [("absorb_bytes", b"claim2", b"\x01\x02")],
    [("absorb_bytes", b"clai", b"m\x01\x02")],
    [("absorb_bytes", b"claim", b"\x01"), ("absorb_bytes", b"", b"\x02")],
    [("absorb_u32s", b"claim", np.array([0x0201], dtype=np.uint32))],
    [("absorb_bytes", b"claim", b"\x01\x02\x00")],
])
def test_different_labels_or_data_give_different_challenges(steps):
    reference = _transcript(("absorb_bytes", b"claim", b"\x01\x02")).squeeze_ext(b"alpha")
    assert _transcript(*steps).squeeze_ext(b"alpha") != reference


def test_different_protocol_tags_and_squeeze_labels_differ():
    assert Transcript(b"a").squeeze_base(b"x") != Transcript(b"b").squeeze_base(b"x")
    assert Transcript(b"a").squeeze_base(b"x") != Transcript(b"a").squeeze_base(b"y")


def test_consecutive_squeezes_differ():
    transcript = Transcript(b"test")
    assert len({transcript.squeeze_base(b"x") for _ in range(20)}) == 20


def test_absorb_u32s_is_little_endian_values_in_c_order():
    values = np.array([[1, 2], [3, 0xFFFFFFFF]], dtype=np.uint32)
    via_u32s = _transcript(("absorb_u32s", b"v", values))
    as_bytes = _transcript(("absorb_u32s", b"v", values.T.copy()))
    assert via_u32s.state != as_bytes.state
    assert via_u32s.state == _transcript(("absorb_u32s", b"v", [1, 2, 3, 0xFFFFFFFF])).state


def test_absorb_rejects_bad_values_and_digests():
    transcript = Transcript(b"test")
    with pytest.raises(ValueError):
        transcript.absorb_u32s(b"v", np.array([1 << 32]))
    with pytest.raises(ValueError):
        transcript.absorb_u32s(b"v", np.array([-1]))
    with pytest.raises(ValueError):
        transcript.absorb_digest(b"root", bytes(31))


def test_squeezed_field_elements_are_canonical_and_spread():
    transcript = Transcript(b"test")
    bases = [transcript.squeeze_base(b"b") for _ in range(2000)]
    assert all(0 <= x < P for x in bases)
    assert min(bases) < P // 50 and max(bases) > P - P // 50
    ext = transcript.squeeze_ext(b"e")
    assert len(ext) == 4 and all(type(c) is int and 0 <= c < P for c in ext)


def test_squeeze_indices_in_range_and_roughly_uniform():
    indices = Transcript(b"test").squeeze_indices(b"q", 64000, 6)
    assert indices.dtype == np.int64 and indices.min() >= 0 and indices.max() < 64
    counts = np.bincount(indices, minlength=64)
    chi2 = ((counts - 1000) ** 2 / 1000).sum()
    assert chi2 < 130  # 63 degrees of freedom: p(chi2 > 130) < 1e-6


def test_squeeze_indices_edge_domains_and_errors():
    transcript = Transcript(b"test")
    assert transcript.squeeze_indices(b"q", 5, 0).tolist() == [0] * 5
    assert transcript.squeeze_indices(b"q", 0, 10).shape == (0,)
    assert transcript.squeeze_indices(b"q", 100, 32).max() < 1 << 32
    with pytest.raises(ValueError):
        transcript.squeeze_indices(b"q", 1, 33)
    with pytest.raises(ValueError):
        transcript.squeeze_indices(b"q", -1, 3)


@pytest.mark.parametrize("bits", [0, 1, 8, 16])
def test_grind_and_check_pow_round_trip(bits):
    prover = _transcript(("absorb_bytes", b"c", b"x"))
    verifier = _transcript(("absorb_bytes", b"c", b"x"))
    state = prover.state
    nonce = prover.grind(bits)
    work = hashlib.sha256(state + b"\x20" + nonce.to_bytes(8, "little")).digest()
    assert int.from_bytes(work, "big") >> (256 - bits) == 0
    assert verifier.check_pow(nonce, bits)
    assert prover.state == verifier.state
    assert np.array_equal(prover.squeeze_indices(b"q", 10, 20),
                          verifier.squeeze_indices(b"q", 10, 20))


def test_check_pow_rejects_wrong_nonce():
    prover = Transcript(b"test")
    nonce = prover.grind(16)
    assert nonce > 0  # so that smaller nonces exist, all of them failing
    assert not any(Transcript(b"test").check_pow(n, 16) for n in range(nonce))
    assert not Transcript(b"test").check_pow(-1, 16)
    assert not Transcript(b"test").check_pow(1 << 64, 16)
    assert not Transcript(b"test").check_pow("7", 16)


def test_pow_bits_out_of_range_is_an_error():
    with pytest.raises(ValueError):
        Transcript(b"test").grind(33)
    with pytest.raises(ValueError):
        Transcript(b"test").check_pow(0, -1)
