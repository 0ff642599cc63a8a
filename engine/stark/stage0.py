"""Sets of proofs linked by global buses: the challenges drawn after every stage-0
commitment, and the check that the global buses balance over the whole set.

A set (the segments of one run) is proved in two phases. Phase one commits each
proof's stage-0 columns alone (:func:`engine.stark.prover.commit_stage0`); the global
challenges are then drawn from all of those roots at once (:func:`global_challenges`),
so no proof's global-bus messages can depend on them; phase two makes each proof with
:func:`engine.stark.prover.prove`, the same stage-0 seed and those challenges. Each
proof publishes its share ``S_g`` of the global sum; the verifier verifies every
proof with the challenges it recomputes from the proofs' stage-0 roots and accepts
the set only if the shares and its own public messages on the global buses add up to
zero (:func:`global_sum_balances`). ``docs/air.md``, "Global buses", has the argument.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.field.scalar import Ext
from engine.stark.air import Air
from engine.stark.logup_trace import PublicMessages, public_interaction_sum
from engine.stark.protocol import air_digest
from engine.stark.transcript import Transcript

__all__ = ["GLOBAL_TAG", "global_challenges", "global_sum_balances"]

#: The protocol tag of the transcript the global challenges are drawn from.
GLOBAL_TAG = b"zkwb-global-v1"


def global_challenges(air: Air, claim: bytes, stage0_roots: Sequence[bytes]) -> np.ndarray:
    """``(gamma_g, beta_g)`` as ``(2, 4)`` uint32, drawn from a transcript that has
    absorbed the AIR's digest, the caller's claim bytes, the number of proofs and every
    proof's stage-0 root in order: changing, adding, dropping or reordering a proof
    changes them all. Raises ``ValueError`` for a root that is not 32 bytes."""
    transcript = Transcript(GLOBAL_TAG)
    transcript.absorb_digest(b"air", air_digest(air))
    transcript.absorb_bytes(b"claim", bytes(claim))
    transcript.absorb_u32s(b"count", np.array([len(stage0_roots)], dtype=np.uint32))
    for root in stage0_roots:
        if not isinstance(root, bytes) or len(root) != 32:
            raise ValueError("a stage-0 root is 32 bytes")
        transcript.absorb_digest(b"stage0", root)
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
