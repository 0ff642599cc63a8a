"""Sets of proofs linked by global buses: the challenges drawn after every stage-0
commitment, and the check that the global buses balance over the whole set.

A set (the segments of one run) is proved in two phases. Phase one commits each
proof's stage-0 columns alone (:func:`engine.stark.prover.commit_stage0`); the global
challenges are then drawn from all of those roots at once, after a proof of work of
``global_pow_bits`` (:func:`grind_global_challenges` for the prover,
:func:`global_challenges` for the verifier), so no proof's global-bus messages can
depend on them and every attempt at a lucky draw costs a grind; phase two makes each proof with
:func:`engine.stark.prover.prove`, the same stage-0 seed and those challenges. Each
proof publishes its share ``S_g`` of the global sum; the verifier verifies every
proof with the challenges it recomputes from the proofs' stage-0 roots and accepts
the set only if the shares and its own public messages on the global buses add up to
zero (:func:`global_sum_balances`). ``docs/air.md``, "Global buses", has the argument.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.field.scalar import Ext
from engine.stark.air import Air
from engine.stark.logup_trace import PublicMessages, public_interaction_sum
from engine.stark.params import ProofParams
from engine.stark.protocol import air_digest
from engine.stark.security import global_logup_bits
from engine.stark.transcript import Transcript

__all__ = ["GLOBAL_TAG", "global_challenges", "global_security_centibits", "global_sum_balances",
           "grind_global_challenges"]

#: The protocol tag of the transcript the global challenges are drawn from.
GLOBAL_TAG = b"zkwb-global-v2"


def grind_global_challenges(air: Air, claim: bytes, stage0_roots: Sequence[bytes],
                            pow_bits: int) -> tuple[int, np.ndarray]:
    """Prover: the proof-of-work nonce and ``(gamma_g, beta_g)`` (``(2, 4)`` uint32).

    The transcript absorbs the AIR's digest, the caller's claim bytes, the number of
    proofs and every proof's stage-0 root in order (changing, adding, dropping or
    reordering a proof changes the challenges), then ``pow_bits`` of proof of work,
    then squeezes the challenges. Raises ``ValueError`` for a root that is not 32
    bytes or ``pow_bits`` out of range."""
    transcript = _transcript(air, claim, stage0_roots)
    nonce = transcript.grind(pow_bits)
    return nonce, _squeeze(transcript)


def global_challenges(air: Air, claim: bytes, stage0_roots: Sequence[bytes], *,
                      pow_bits: int = 0, nonce: int = 0) -> np.ndarray | None:
    """Verifier: ``(gamma_g, beta_g)`` as :func:`grind_global_challenges` draws them, or
    ``None`` when ``nonce`` does not pass the ``pow_bits`` proof of work (the set of
    proofs is then invalid). Raises ``ValueError`` as that function does."""
    transcript = _transcript(air, claim, stage0_roots)
    if not transcript.check_pow(nonce, pow_bits):
        return None
    return _squeeze(transcript)


def global_security_centibits(air: Air, params: ProofParams, heights: Sequence[int],
                              public_messages: Sequence[PublicMessages]) -> int:
    """The conjectured security of the global buses' sum over proofs of ``heights``
    rows with the verifier's ``public_messages`` on global buses, in hundredths of a
    bit rounded down (``engine.stark.security.global_logup_bits``): every row of every
    proof counts each global interaction, zero-knowledge rows included."""
    per_row = sum(1 for inter in air.interactions if inter.bus.is_global)
    width = max((bus.width for bus in air.buses if bus.is_global), default=1)
    fractions = per_row * sum(int(h) for h in heights) + sum(
        int(np.asarray(group.values).shape[0]) for group in public_messages)
    return math.floor(global_logup_bits(params, max(1, fractions), width) * 100)


def _transcript(air: Air, claim: bytes, stage0_roots: Sequence[bytes]) -> Transcript:
    transcript = Transcript(GLOBAL_TAG)
    transcript.absorb_digest(b"air", air_digest(air))
    transcript.absorb_bytes(b"claim", bytes(claim))
    transcript.absorb_u32s(b"count", np.array([len(stage0_roots)], dtype=np.uint32))
    for root in stage0_roots:
        if not isinstance(root, bytes) or len(root) != 32:
            raise ValueError("a stage-0 root is 32 bytes")
        transcript.absorb_digest(b"stage0", root)
    return transcript


def _squeeze(transcript: Transcript) -> np.ndarray:
    return np.array([transcript.squeeze_ext(b"global-challenge") for _ in range(2)],
                    dtype=np.uint32)


def global_sum_balances(air: Air, shares: Sequence[np.ndarray],
                        public_messages: Sequence[PublicMessages],
                        challenges: np.ndarray) -> bool:
    """Whether the proofs' shares ``S_g`` ((4,) uint32 each) and the verifier's own
    messages on global buses add up to zero under ``challenges`` (``(2, 4)``).
    Raises ``ValueError`` for a message on a local bus or malformed messages."""
    for group in public_messages:
        if not air.bus(group.bus).is_global:
            raise ValueError(f"bus {group.bus!r} is local: its messages belong to one proof")
    total = Ext.ZERO
    for share in shares:
        total = total + Ext(*map(int, np.asarray(share).reshape(4)))
    padded = np.concatenate([np.zeros((2, 4), dtype=np.uint32),
                             np.asarray(challenges, dtype=np.uint32).reshape(2, 4)])
    return total + public_interaction_sum(air, public_messages, padded) == Ext.ZERO
