"""Fiat–Shamir transcript: a SHA-256 hash chain that prover and verifier replay.

The prover and the verifier make the same sequence of calls; every challenge is
a deterministic function of everything absorbed before it, so it is fixed only
once the data it must not depend on is committed.

Byte-level construction (``H`` = SHA-256, ``u64(x)`` = 8 bytes little-endian,
``lp(b)`` = ``u64(len(b)) ‖ b``; the state is always a 32-byte digest):

* ``Transcript(tag)``: ``state = H(b"zkwb-transcript-v1" ‖ lp(tag))``.
* absorb: ``state = H(state ‖ kind ‖ lp(label) ‖ lp(data))``, with kind 0x01 for
  bytes, 0x02 for u32 values (``data`` = the values in C order, 4 bytes
  little-endian each), 0x03 for a 32-byte digest.
* squeeze: ``state = H(state ‖ 0x10 ‖ lp(label))``; the challenge stream is then
  ``H(state ‖ 0x11 ‖ u64(0)) ‖ H(state ‖ 0x11 ‖ u64(1)) ‖ ...``, read as 32-bit
  little-endian words, first word first, as far as the squeeze needs.
* proof of work: ``H(state ‖ 0x20 ‖ u64(nonce))`` must start with ``bits`` zero
  bits (big-endian bit order); then the nonce is absorbed:
  ``state = H(state ‖ 0x21 ‖ u64(nonce))``.

Every absorbed item is length-prefixed and kind-tagged, so the sequence of
calls is recoverable from the bytes hashed: absorption is injective. A squeeze
folds its label into the state, so two squeezes never repeat and a later
absorption depends on how many challenges came before.

Sampling is exact, not approximate:

* a **base field element** is the first stream word ``w`` with
  ``w & 0x7FFFFFFF < p`` (rejection sampling on 31-bit chunks; each word is
  accepted with probability p / 2^31 ≈ 0.94), so it is uniform on ``[0, p)``;
* an **extension element** is four base elements from one squeeze (c0..c3);
* an **index** in ``[0, 2^k)`` is ``w & (2^k - 1)`` for one word per index, which
  is uniform because ``2^k`` divides ``2^32`` (``k <= 32``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np

from engine.field.babybear import P

__all__ = ["MAX_POW_BITS", "Transcript"]

#: Proof-of-work difficulties above this are refused: 2^32 hashes is hours.
MAX_POW_BITS = 32

_DOMAIN = b"zkwb-transcript-v1"
_ABSORB_BYTES = b"\x01"
_ABSORB_U32S = b"\x02"
_ABSORB_DIGEST = b"\x03"
_SQUEEZE = b"\x10"
_STREAM = b"\x11"
_POW = b"\x20"
_POW_NONCE = b"\x21"
_NONCE_LIMIT = 1 << 64


class Transcript:
    """Fiat–Shamir state machine over SHA-256 (see the module docstring)."""

    def __init__(self, protocol_tag: bytes):
        """Start a transcript bound to ``protocol_tag`` (bytes)."""
        self._state = hashlib.sha256(_DOMAIN + _length_prefixed(bytes(protocol_tag))).digest()

    @property
    def state(self) -> bytes:
        """The current 32-byte chaining value (for tests and debugging)."""
        return self._state

    def absorb_bytes(self, label: bytes, data: bytes) -> None:
        """Absorb arbitrary bytes under ``label``."""
        self._absorb(_ABSORB_BYTES, label, bytes(data))

    def absorb_u32s(self, label: bytes, values: np.ndarray) -> None:
        """Absorb u32 values (any shape, C order, 4 bytes little-endian each).

        The shape is not absorbed, only the count: absorb it separately where the
        context does not fix it. Raises ``ValueError`` for values outside
        ``[0, 2^32)`` or a non-integer array.
        """
        array = np.asarray(values)
        if array.size and (not np.issubdtype(array.dtype, np.integer)
                           or int(array.min()) < 0 or int(array.max()) >= 1 << 32):
            raise ValueError("absorb_u32s needs integer values in [0, 2^32)")
        self._absorb(_ABSORB_U32S, label, np.ascontiguousarray(array, dtype="<u4").tobytes())

    def absorb_digest(self, label: bytes, digest: bytes) -> None:
        """Absorb a 32-byte digest (e.g. a Merkle root). Raises ``ValueError`` otherwise."""
        digest = bytes(digest)
        if len(digest) != 32:
            raise ValueError(f"a digest has 32 bytes, not {len(digest)}")
        self._absorb(_ABSORB_DIGEST, label, digest)

    def squeeze_base(self, label: bytes) -> int:
        """A uniform base field element in ``[0, p)``."""
        words = self._squeeze(label)
        return _next_base(words)

    def squeeze_ext(self, label: bytes) -> tuple[int, int, int, int]:
        """A uniform extension element: coefficients (c0, c1, c2, c3), each in ``[0, p)``."""
        words = self._squeeze(label)
        return (_next_base(words), _next_base(words), _next_base(words), _next_base(words))

    def squeeze_indices(self, label: bytes, count: int, log_domain: int) -> np.ndarray:
        """``count`` independent uniform indices in ``[0, 2^log_domain)``: (count,) int64.

        Repeats are possible (callers dedupe if they must). Raises ``ValueError``
        unless ``count >= 0`` and ``0 <= log_domain <= 32``.
        """
        if count < 0 or not 0 <= log_domain <= 32:
            raise ValueError("need count >= 0 and 0 <= log_domain <= 32")
        words = self._squeeze(label)
        mask = (1 << log_domain) - 1
        return np.array([next(words) & mask for _ in range(count)], dtype=np.int64)

    def grind(self, bits: int) -> int:
        """Prover: find the smallest nonce passing a ``bits``-bit proof of work, absorb it.

        Expected cost 2^bits hashes (16 bits: ~0.05 s). Raises ``ValueError``
        unless ``0 <= bits <= MAX_POW_BITS``.
        """
        _check_pow_bits(bits)
        prefix = hashlib.sha256(self._state + _POW)
        limit = 1 << (256 - bits)
        nonce = 0
        while True:
            attempt = prefix.copy()
            attempt.update(nonce.to_bytes(8, "little"))
            if int.from_bytes(attempt.digest(), "big") < limit:
                break
            nonce += 1
        self._absorb_nonce(nonce)
        return nonce

    def check_pow(self, nonce: int, bits: int) -> bool:
        """Verifier: does ``nonce`` pass a ``bits``-bit proof of work? Absorbs it either way.

        A nonce outside ``[0, 2^64)`` or not an ``int`` is False (the state then
        absorbs nothing; the proof is rejected anyway). Raises ``ValueError``
        unless ``0 <= bits <= MAX_POW_BITS`` (the verifier's own parameter).
        """
        _check_pow_bits(bits)
        if type(nonce) is not int or not 0 <= nonce < _NONCE_LIMIT:
            return False
        digest = hashlib.sha256(self._state + _POW + nonce.to_bytes(8, "little")).digest()
        self._absorb_nonce(nonce)
        return int.from_bytes(digest, "big") < 1 << (256 - bits)

    def _absorb(self, kind: bytes, label: bytes, data: bytes) -> None:
        self._state = hashlib.sha256(
            self._state + kind + _length_prefixed(bytes(label)) + _length_prefixed(data)).digest()

    def _absorb_nonce(self, nonce: int) -> None:
        self._state = hashlib.sha256(
            self._state + _POW_NONCE + nonce.to_bytes(8, "little")).digest()

    def _squeeze(self, label: bytes) -> Iterator[int]:
        """Fold ``label`` into the state; return the stream of 32-bit words it seeds."""
        self._state = hashlib.sha256(
            self._state + _SQUEEZE + _length_prefixed(bytes(label))).digest()
        return _word_stream(self._state)


def _word_stream(seed: bytes) -> Iterator[int]:
    """Little-endian u32 words of H(seed ‖ 0x11 ‖ u64(0)), H(seed ‖ 0x11 ‖ u64(1)), ..."""
    counter = 0
    while True:
        block = hashlib.sha256(seed + _STREAM + counter.to_bytes(8, "little")).digest()
        yield from np.frombuffer(block, dtype="<u4").tolist()
        counter += 1


def _next_base(words: Iterator[int]) -> int:
    """Rejection-sample a base field element from 31-bit chunks of the stream."""
    while True:
        candidate = next(words) & 0x7FFFFFFF
        if candidate < P:
            return candidate


def _length_prefixed(data: bytes) -> bytes:
    return len(data).to_bytes(8, "little") + data


def _check_pow_bits(bits: int) -> None:
    if type(bits) is not int or not 0 <= bits <= MAX_POW_BITS:
        raise ValueError(f"proof-of-work bits must be an int in [0, {MAX_POW_BITS}]")
