"""Conjectured security of a proof: one bound per soundness term, and their minimum.

:func:`conjectured_security_bits` returns a :class:`SecurityReport`; the receipt
stores its ``bits`` and the verifier refuses anything below ``MIN_SECURITY_BITS``.
``docs/security.md`` derives each term and tabulates them for 2^10..2^22 rows.

Each term is ``-log2`` of an attacker's success probability (plus the grinding bits
that multiply the cost of each attempt), with ``N = trace_height · blowup`` the LDE
size and ``|EF| = p^4`` the extension field the challenges are drawn from:

========================  ========================================================
``fri_queries``           ``log_blowup · num_queries + query_pow_bits``: the
                          toy-problem conjecture of the ethSTARK documentation
                          (ePrint 2021/582);
                          Plonky3 ``FriParameters::conjectured_soundness_bits``.
``fri_folding``           ``log2|EF| − log2((arity − 1)·(N + 1))``: a folding
                          challenge is exceptional for at most that many values;
                          Plonky3 ``security/src/fri.rs`` (commit phase).
``deep_batching``         ``log2|EF| − log2(2·N)``: the DEEP quotients are batched
                          with independent per-column and per-point coefficients
                          (two layers, ≤ N/|EF| each; BCIKS20 ePrint 2020/654,
                          affine-space proximity gap), not with powers of one
                          challenge, which would cost ``log2(#columns)`` bits.
``deep``                  ``log2|EF| − log2(D·(H + k − 1) + (H − 1))``, D the
                          constraint degree, k the opening points per column;
                          Plonky3 ``security/src/deep.rs``.
``ali``                   ``log2|EF| − log2(num_constraints)``: constraints folded
                          by powers of one challenge; Plonky3 ``security/src/air.rs``.
``logup``                 ``log2|EF| − log2(I·H·(W + 2)) + logup_pow_bits``, I the
                          interactions per row, W the widest message; Haböck,
                          ePrint 2022/1530; Plonky3 ``security/src/logup.rs``.
``hash``                  128: SHA-256 collision resistance (a collision forges a
                          Merkle opening or a transcript).
========================  ========================================================

A set of proofs linked by global buses (the segments of a run) adds one term that no
single proof's report covers, :func:`global_logup_bits`: the global buses' LogUp sum
over all of them, ``log2|EF| − log2(T·(W + 2)) + global_pow_bits`` with ``T`` the
fractions in that sum (global interactions per row times every proof's height, plus
the verifier's own messages) and ``W`` the widest global message.

Every algebraic term is capped at ``log2|EF|`` ≈ 123.6 bits: no grinding or query
count makes a single extension challenge harder to guess than the field is large.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from engine.field.babybear import P
from engine.stark.params import OPENING_POINTS_PER_COLUMN, ProofParams

__all__ = ["EXT_FIELD_BITS", "HASH_COLLISION_BITS", "MIN_SECURITY_BITS", "SecurityReport",
           "conjectured_security_bits", "global_logup_bits"]

#: The verifier refuses proofs whose conjectured security is below this, unless its
#: caller gives another floor (``engine.verify`` passes its policy's, 100 bits by
#: default; ``docs/security.md``).
MIN_SECURITY_BITS = 96

#: log2 of the size of the challenge field F_p^4 (≈ 123.63).
EXT_FIELD_BITS = 4 * math.log2(P)

#: Collision resistance of SHA-256 in bits (birthday bound).
HASH_COLLISION_BITS = 128.0


@dataclass(frozen=True)
class SecurityReport:
    """Conjectured bits of security, term by term (see the module docstring).

    ``logup`` is ``None`` when the AIR has no interactions (no lookup argument).
    ``fri_queries_random_words`` is informational, not part of the minimum: the
    query term under Plonky3's random-words formula, ``num_queries·(−log2(ρ + η)) +
    query_pow_bits`` with ``η = ρ·log2(e/ρ) / log2|EF|`` (ePrint 2025/2010 §1.5).
    """

    fri_queries: float
    fri_folding: float
    deep_batching: float
    deep: float
    ali: float
    logup: float | None
    hash: float
    fri_queries_random_words: float

    def terms(self) -> dict[str, float]:
        """The terms that count towards the minimum, by name."""
        names = ("fri_queries", "fri_folding", "deep_batching", "deep", "ali", "logup", "hash")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    @property
    def bits(self) -> float:
        """The conjectured security level: the minimum over :meth:`terms`."""
        return min(self.terms().values())

    @property
    def binding(self) -> str:
        """Name of the term that sets :attr:`bits`."""
        terms = self.terms()
        return min(terms, key=terms.get)


def conjectured_security_bits(params: ProofParams, trace_height: int, *,
                              num_constraints: int, max_constraint_degree: int,
                              num_interactions: int, max_message_width: int,
                              opening_points: int = OPENING_POINTS_PER_COLUMN) -> SecurityReport:
    """Conjectured security of proving a ``trace_height``-row AIR with ``params``.

    ``trace_height``: rows of the trace, a power of two ≥ 2. ``num_constraints``:
    constraints batched by the ALI challenge (≥ 1). ``max_constraint_degree``: the
    largest constraint degree (≥ 1). ``num_interactions``: LogUp interactions per
    row over all buses (0 if none). ``max_message_width``: the widest bus message
    in field elements. ``opening_points``: out-of-domain points per column.

    Raises ``ValueError`` for a height that is not a power of two or counts out of
    range.
    """
    if trace_height < 2 or trace_height & (trace_height - 1):
        raise ValueError(f"trace_height must be a power of two >= 2, not {trace_height}")
    if num_constraints < 1 or max_constraint_degree < 1 or opening_points < 1:
        raise ValueError("need num_constraints, max_constraint_degree, opening_points >= 1")
    if num_interactions < 0 or max_message_width < 0:
        raise ValueError("num_interactions and max_message_width cannot be negative")
    height = float(trace_height)
    lde_size = height * params.blowup

    def capped(bits: float) -> float:
        return min(bits, EXT_FIELD_BITS)

    deep_factor = (max_constraint_degree * (height + opening_points - 1) + (height - 1))
    logup = None
    if num_interactions:
        logup = capped(EXT_FIELD_BITS
                       - math.log2(num_interactions * height * (max_message_width + 2))
                       + params.logup_pow_bits)
    return SecurityReport(
        fri_queries=params.log_blowup * params.num_queries + params.query_pow_bits,
        fri_folding=capped(EXT_FIELD_BITS - math.log2((params.fri_arity - 1) * (lde_size + 1))),
        deep_batching=capped(EXT_FIELD_BITS - math.log2(2 * lde_size)),
        deep=capped(EXT_FIELD_BITS - math.log2(deep_factor)),
        ali=capped(EXT_FIELD_BITS - math.log2(num_constraints)),
        logup=logup,
        hash=HASH_COLLISION_BITS,
        fri_queries_random_words=_random_words_query_bits(params),
    )


def global_logup_bits(params: ProofParams, fractions: int, max_message_width: int) -> float:
    """Conjectured security of the global buses' LogUp sum over a set of proofs.

    ``fractions``: the terms of that sum, every proof's rows times its interactions on
    global buses plus the verifier's own messages on them (≥ 1).
    ``max_message_width``: the widest global message. The challenges are drawn once,
    after every proof's stage-0 root and ``params.global_pow_bits`` of proof of work:
    the Haböck bound of the ``logup`` term over the whole set, capped at ``log2|EF|``.
    Raises ``ValueError`` for counts out of range."""
    if fractions < 1 or max_message_width < 1:
        raise ValueError("need fractions >= 1 and max_message_width >= 1")
    bits = (EXT_FIELD_BITS - math.log2(fractions * (max_message_width + 2))
            + params.global_pow_bits)
    return min(bits, EXT_FIELD_BITS)


def _random_words_query_bits(params: ProofParams) -> float:
    """Plonky3's random-words query bound (``security/src/fri.rs``, ``conjectured_error``)."""
    rate = 2.0 ** -params.log_blowup
    eta = rate * (math.log2(math.e) + params.log_blowup) / EXT_FIELD_BITS
    return params.num_queries * -math.log2(rate + eta) + params.query_pow_bits
