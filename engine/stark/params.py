"""Proof parameters: everything that fixes the shape and soundness of a proof.

One frozen dataclass, :class:`ProofParams`, shared by the prover, the verifier, the
receipt format and the security estimate. Defaults follow ``docs/prior-art.md``,
"Parameters for about 100 bits" (the recommendation for about 100 conjectured bits over
BabyBear⁴ with SHA-256), and the measurements in ``docs/fri.md``:

* ``log_blowup = 2`` (rate 1/4) and ``num_queries = 43`` with ``query_pow_bits = 16``:
  2·43 + 16 = 102 bits by the ethSTARK toy-problem conjecture.
* FRI folds by 4 (``fri_log_arity = 2``) down to a final polynomial of 8 coefficients
  (``fri_log_final_len = 3``) sent in the clear.
* ``logup_pow_bits = 8``: grinding before the LogUp challenges, which keeps the LogUp
  term above 100 bits at 2^20 rows (``docs/security.md``).
* ``global_pow_bits = 16``: grinding before the global challenges of a run proved in
  segments (``engine.stark.stage0``), whose LogUp sum spans every segment: 16 bits keep
  that term above 100 bits for the longest run (``docs/security.md``).
* ``zk = True``: witness columns carry :attr:`ProofParams.zk_rows` random rows and the
  DEEP/FRI batch is masked by a random polynomial.

The parameters reach the Fiat–Shamir transcript through :meth:`ProofParams.to_words`
before anything else, so a proof made with one set never verifies under another.
Parameters read from a receipt are untrusted: build them with the constructor, which
raises ``ValueError`` for anything outside the supported ranges.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from engine.field.ext4 import DEGREE as EXT_DEGREE
from engine.stark.transcript import MAX_POW_BITS

__all__ = ["DEFAULT_PARAMS", "OPENING_POINTS_PER_COLUMN", "PARAMS_VERSION", "ZK_SPARE_ROWS",
           "ProofParams"]

#: Version of the parameter encoding absorbed by :meth:`ProofParams.to_words`.
PARAMS_VERSION = 2

#: Out-of-domain points at which a witness column is opened: ζ and ζ·ω.
OPENING_POINTS_PER_COLUMN = 2

#: Random rows per column beyond the evaluations a proof reveals. With none, the
#: revealed values would fix the random rows given a guessed witness, and the hashes
#: of unopened Merkle leaves would confirm the guess; four spare rows leave every
#: unopened leaf 4·31 = 124 unknown bits (Plonky3 salts its leaves instead).
ZK_SPARE_ROWS = 4

# Supported ranges. Blowup 2..16 covers every constraint degree the quotient split
# allows; more than 1000 queries or an arity above 16 is no useful trade-off.
_RANGES = {
    "log_blowup": (1, 4),
    "num_queries": (1, 1000),
    "query_pow_bits": (0, MAX_POW_BITS),
    "fri_log_arity": (1, 4),
    "fri_log_final_len": (0, 10),
    "logup_pow_bits": (0, MAX_POW_BITS),
    "global_pow_bits": (0, MAX_POW_BITS),
}


@dataclass(frozen=True)
class ProofParams:
    """Parameters of a proof; see the module docstring for the defaults' sources.

    ``log_blowup``: log2 of the LDE blowup (codeword rate ``2^-log_blowup``).
    ``num_queries``: FRI query repetitions. ``query_pow_bits``: proof-of-work bits
    ground before the query indices are drawn. ``fri_log_arity``: log2 of the FRI
    folding arity. ``fri_log_final_len``: log2 of the number of coefficients of the
    final FRI polynomial. ``logup_pow_bits``: proof-of-work bits ground before the
    LogUp challenges. ``global_pow_bits``: proof-of-work bits ground before the global
    challenges of a set of proofs (the segments of a run). ``zk``: zero knowledge (random rows and a masked DEEP batch).

    Raises ``ValueError`` (``TypeError`` for a non-int/non-bool) when a field is
    outside its supported range.
    """

    log_blowup: int = 2
    num_queries: int = 43
    query_pow_bits: int = 16
    fri_log_arity: int = 2
    fri_log_final_len: int = 3
    logup_pow_bits: int = 8
    global_pow_bits: int = 16
    zk: bool = True

    def __post_init__(self) -> None:
        for name, (low, high) in _RANGES.items():
            value = getattr(self, name)
            if type(value) is not int:
                raise TypeError(f"ProofParams.{name} must be an int, not {type(value).__name__}")
            if not low <= value <= high:
                raise ValueError(f"ProofParams.{name} = {value} is outside [{low}, {high}]")
        if type(self.zk) is not bool:
            raise TypeError("ProofParams.zk must be a bool")

    @property
    def blowup(self) -> int:
        """The LDE blowup factor ``2^log_blowup``."""
        return 1 << self.log_blowup

    @property
    def fri_arity(self) -> int:
        """The FRI folding arity ``2^fri_log_arity``."""
        return 1 << self.fri_log_arity

    @property
    def zk_rows(self) -> int:
        """Random rows each witness column needs for zero knowledge (0 without zk).

        A proof reveals, per committed base column ``f``, its values at the
        ``OPENING_POINTS_PER_COLUMN`` out-of-domain points ζ and ζ·ω — extension
        elements, so 4 base-field coordinates each — and at each FRI query position
        ``x_j`` (the Merkle openings), and through the quotient's opening at ``x_j`` a
        function of ``f(ω·x_j)`` too (constraints read the next row): at most
        ``2·num_queries + 4·2`` base-field linear functions of its rows. ``f``
        interpolates its rows, so with at least that many uniformly random rows
        (exempt from constraints) those values are uniformly distributed whatever the
        other rows hold; ``ZK_SPARE_ROWS`` more keep the unopened Merkle leaves
        unpredictable too. 98 rows at the defaults; ``docs/zero-knowledge.md``
        gives the argument.
        """
        if not self.zk:
            return 0
        return (2 * self.num_queries + EXT_DEGREE * OPENING_POINTS_PER_COLUMN
                + ZK_SPARE_ROWS)

    def to_words(self) -> np.ndarray:
        """The canonical encoding absorbed by the transcript: (9,) uint32.

        ``[PARAMS_VERSION, log_blowup, num_queries, query_pow_bits, fri_log_arity,
        fri_log_final_len, logup_pow_bits, global_pow_bits, zk]``.
        """
        values = [PARAMS_VERSION] + [int(getattr(self, f.name)) for f in fields(self)]
        return np.array(values, dtype=np.uint32)


#: The default parameters (about 102 conjectured bits up to 2^18 rows, 100 at 2^20).
DEFAULT_PARAMS = ProofParams()
