"""The STARK verifier: replay the transcript, check every claim of a :class:`Proof`.

::

    result = verify(air, proof, public_values=publics, public_data=data,
                    public_messages=messages, claim=claim_bytes)
    if not result.valid:
        print("invalid:", result.reason)

The checks (``docs/stark.md``), the cheap ones first: the trace height is supported
and the proof's stated security is the verifier's own estimate, at least
``min_security_bits`` (``MIN_SECURITY_BITS`` by default); the proof has the shape an
honest one has for this AIR, these parameters and this height
(:mod:`engine.stark.shape`: every count and width, before anything of size ``H``);
then, in transcript order, the public inputs are bound as the prover bound them; the
proof's preprocessed root is compared with the AIR's key when its preprocessed
columns are fixed (:mod:`engine.stark.keys`: computed once per process, or shipped),
else with the root of the columns recomputed from the public data; LogUp's proof of work holds, the number of LogUp terms is below p
and ``S + public_interaction_sum(...) = 0``; every opening is consistent with its
commitment (DEEP-FRI, :func:`engine.stark.pcs.verify_openings`); and the constraint
combination at ζ equals ``Z_H(ζ)·Q(ζ)`` with ``Q(ζ)`` recombined from the quotient
chunks' openings.

A proof is untrusted input: :func:`verify` never raises on a malformed or tampered
proof (wrong types, shapes, lengths, values ≥ p...), it returns a
:class:`VerifyResult` whose ``reason`` says what is wrong. It raises only
``engine.errors.Cancelled`` when cancelled.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import Cancelled
from engine.events import (
    CancelToken,
    Committed,
    EventCallback,
    QueryChecked,
    QueryPositions,
    Reporter,
)
from engine.field.babybear import P
from engine.field.scalar import Ext
from engine.stark import keys
from engine.stark.air import Air
from engine.stark.constraints import evaluate_constraints_at_point
from engine.stark.logup_trace import (
    PublicMessages,
    public_interaction_sum,
    total_interactions,
)
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.stark.pcs import Commitment, commitment_root, verify_openings
from engine.stark.proof import Proof
from engine.stark.protocol import (
    LABEL_ALPHA,
    LABEL_MAIN,
    LABEL_PREPROCESSED,
    LABEL_QUOTIENT,
    MAX_LOG_HEIGHT,
    absorb_logup,
    absorb_stage0,
    bind_public_inputs,
    checked_global_challenges,
    draw_logup_challenges,
    draw_zeta,
    min_trace_height,
    opening_points,
    security_centibits,
    security_report,
    trace_shape,
)
from engine.stark.quotient import chunk_count, recombine
from engine.stark.security import MIN_SECURITY_BITS
from engine.stark.selectors import selectors_at_point
from engine.stark.shape import proof_shape

__all__ = ["INTERNAL_ERROR", "VerifyResult", "clear_caches", "verify"]

#: Prefix of the reason given when verification hit an unexpected error. A proof
#: is rejected then too, but the reason names no check: it marks a verifier bug.
INTERNAL_ERROR = "verifier error"

_PREPROCESSED_CACHE_SIZE = 16
_preprocessed_roots: OrderedDict[bytes, bytes] = OrderedDict()
_preprocessed_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class VerifyResult:
    """The verdict on a proof.

    ``valid``: True only if every check passed. ``reason``: None when valid, else
    what failed, for a person. ``security_bits``: the verifier's own conjectured
    security estimate for this AIR and height (hundredths of a bit, rounded down),
    None if the height could not be read. ``query_positions``: the (num_queries,)
    int64 LDE positions FRI queried, once drawn (else None); ``query_passed``: the
    (num_queries,) bool outcome of each query's checks, once they ran.
    """

    valid: bool
    reason: str | None
    security_bits: float | None = None
    query_positions: np.ndarray | None = None
    query_passed: np.ndarray | None = None
    #: With global buses, once the proof is valid: its share ``S_g`` of the global sum
    #: ((4,) uint32), which the caller adds up over the set with its public messages.
    global_sum: np.ndarray | None = None


def verify(air: Air, proof: Proof, *, public_values, public_data: Any = None,
           public_messages: Sequence[PublicMessages] = (), claim: bytes = b"",
           params: ProofParams = DEFAULT_PARAMS, on_event: EventCallback | None = None,
           cancel: CancelToken | None = None,
           min_security_bits: float = MIN_SECURITY_BITS,
           global_challenges: np.ndarray | None = None) -> VerifyResult:
    """Check ``proof`` against ``air`` and the public inputs (see the module docstring).

    The arguments mean what they mean for :func:`engine.stark.prover.prove`, and
    must be the prover's: a proof binds its public values, public data, public
    messages (in order), claim bytes and parameters. ``params`` are the verifier's
    choice (``engine.policy``), never the proof's. ``min_security_bits``: the least
    conjectured security accepted for them at the proof's height.
    ``global_challenges``: for an AIR with global buses, the ``(2, 4)`` challenges the
    caller drew after every stage-0 root of the set; the proof's global sum is then
    the caller's to check (``VerifyResult.global_sum``), and ``public_messages`` may
    only be on local buses. Returns a :class:`VerifyResult`; never raises on bad
    input, except ``Cancelled``.
    """
    run = _Verification(Reporter(on_event, cancel))
    try:
        run.verify(air, proof, public_values, public_data, tuple(public_messages), claim,
                   params, min_security_bits, global_challenges)
    except Cancelled:
        raise
    except _Rejected as rejection:
        return run.result(rejection.reason)
    except Exception as error:  # noqa: BLE001 - a bug or unforeseen input: still a verdict
        return run.result(f"{INTERNAL_ERROR}: {type(error).__name__}: {error}")
    return run.result(None)


def clear_caches() -> None:
    """Forget the preprocessed roots computed from public data so far (benchmarks of
    a verifier meeting a program for the first time).

    For an AIR whose preprocessed columns depend on public data the verifier keeps
    the roots of the last few matrices it recomputed, keyed by SHA-256 of their values
    and the parameters: verifying several proofs with the same public data then
    recomputes the columns (cheap) but not their LDE and tree. An AIR whose columns
    are all fixed (the machine AIR) has keys instead (:mod:`engine.stark.keys`,
    cleared by ``keys.clear()``), which no public data changes.
    """
    with _preprocessed_lock:
        _preprocessed_roots.clear()


class _Rejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _reject(reason: str):
    raise _Rejected(reason)


class _Verification:
    """One verification's state, so a rejection still reports what was learnt."""

    def __init__(self, reporter: Reporter):
        self.reporter = reporter
        self.security_bits: float | None = None
        self.positions: np.ndarray | None = None
        self.passed: np.ndarray | None = None
        self.global_sum: np.ndarray | None = None

    def result(self, reason: str | None) -> VerifyResult:
        return VerifyResult(reason is None, reason, self.security_bits, self.positions,
                            self.passed, self.global_sum if reason is None else None)

    def verify(self, air, proof, public_values, public_data, messages, claim, params,
               min_security_bits, global_challenges) -> None:
        if not isinstance(air, Air):
            _reject("the AIR is not an engine.stark.air.Air")
        if not isinstance(params, ProofParams):
            _reject("the parameters are not a ProofParams")
        if not isinstance(proof, Proof):
            _reject("the proof is not a Proof")
        shape = self._shape(proof, params)
        self._security(air, params, proof, shape.height, min_security_bits)
        # Every count of the proof against what the AIR, the parameters and the height
        # imply, before anything that costs O(H) (the preprocessed commitment).
        problem = proof_shape(air, params, shape.log_height).check(proof)
        if problem:
            _reject(f"the proof does not have the shape its parameters and height imply: "
                    f"{problem}")
        if not isinstance(claim, (bytes, bytearray, memoryview)):
            _reject("the claim is not bytes")
        try:
            transcript, publics = bind_public_inputs(air, params, shape.log_height,
                                                     public_values, messages, claim)
        except (ValueError, KeyError, TypeError) as error:
            _reject(f"public inputs: {error}")
        commitments = []
        if air.n_prep:
            with self.reporter.phase("preprocessed"):
                root = self._preprocessed_root(air, shape, public_data, params)
            if not isinstance(proof.preprocessed_root, bytes) or proof.preprocessed_root != root:
                _reject("the preprocessed columns do not match the AIR's key (their root "
                        "differs from the proof's)" if air.fixed_preprocessed else
                        "the preprocessed columns do not match the public data (their "
                        "root differs from the proof's)")
            transcript.absorb_digest(LABEL_PREPROCESSED, root)
            commitments.append(Commitment(root, (air.n_prep,)))
        elif not isinstance(proof.preprocessed_root, bytes) or proof.preprocessed_root:
            _reject("the proof has a preprocessed root but the AIR has no preprocessed columns")
        if air.has_global_buses:
            try:
                global_challenges = checked_global_challenges(global_challenges)
            except ValueError as error:
                _reject(str(error))
            if any(air.bus(m.bus).is_global for m in messages):
                _reject("public messages on a global bus belong to the set's check, not to "
                        "one proof")
        if air.n_stage0 or air.has_global_buses:
            stage0_root = self._root(proof.stage0_root, "stage0") if air.n_stage0 else b""
            absorb_stage0(transcript, stage0_root, global_challenges if air.has_global_buses
                          else np.zeros((0, 4), dtype=np.uint32))
            if air.n_stage0:
                commitments.append(Commitment(stage0_root, (air.n_stage0,)))
        transcript.absorb_digest(LABEL_MAIN, self._root(proof.main_root, "main"))
        commitments.append(Commitment(proof.main_root, (air.n_main - air.n_stage0,)))

        challenges = np.zeros((0, 4), dtype=np.uint32)
        aux_publics = np.zeros((0, 4), dtype=np.uint32)
        if air.logup is not None:
            with self.reporter.phase("logup"):
                challenges = self._logup(air, proof, params, transcript, shape.height,
                                         messages, global_challenges)
            aux_publics = proof.logup_sum.reshape(-1, 4)
            commitments.append(Commitment(proof.aux_root, (air.n_aux_base,)))
        elif (not isinstance(proof.aux_root, bytes) or proof.aux_root
              or type(proof.logup_pow_nonce) is not int or proof.logup_pow_nonce
              or not isinstance(proof.logup_sum, np.ndarray) or proof.logup_sum.size):
            _reject("the proof has LogUp data but the AIR has no buses")

        alpha = Ext(*transcript.squeeze_ext(LABEL_ALPHA))
        transcript.absorb_digest(LABEL_QUOTIENT, self._root(proof.quotient_root, "quotient"))
        chunks = chunk_count(air, shape)
        commitments.append(Commitment(proof.quotient_root, (4 * chunks,)))
        zeta = draw_zeta(transcript)
        try:
            selectors = selectors_at_point(zeta, shape)
        except ValueError:
            _reject("the out-of-domain point lies in the trace domain")
        points = opening_points(zeta, shape.log_height, len(commitments))

        with self.reporter.phase("open"):
            verdict = verify_openings(commitments, points, shape.log_height, proof.opening,
                                      params, transcript)
            self._report_queries(verdict, shape.height << params.log_blowup)
        if not verdict.ok:
            _reject(f"openings: {verdict.reason}")

        with self.reporter.phase("constraints"):
            opened = list(proof.opening.opened_values)
            prep = opened.pop(0) if air.n_prep else np.zeros((2, 0, 4), dtype=np.uint32)
            main = opened.pop(0)
            if air.n_stage0:
                main = np.concatenate([main, opened.pop(0)], axis=1)
            aux = opened.pop(0) if air.logup is not None else np.zeros((2, 0, 4),
                                                                       dtype=np.uint32)
            numerator = evaluate_constraints_at_point(
                air, main_local=main[0], main_next=main[1], prep_local=prep[0],
                prep_next=prep[1], aux_local=aux[0], aux_next=aux[1], selectors=selectors,
                publics=publics, challenges=challenges, aux_publics=aux_publics, alpha=alpha)
            quotient = recombine(opened.pop(0)[0], zeta, shape.height)
            if numerator != quotient * (zeta ** shape.height - 1):
                _reject("the constraints do not hold: at the out-of-domain point ζ the "
                        "constraint combination differs from Z_H(ζ)·Q(ζ)")
        if air.has_global_buses:
            self.global_sum = proof.logup_sum[4:8].copy()

    # --- steps ----------------------------------------------------------------------

    def _shape(self, proof: Proof, params: ProofParams):
        log_height = proof.log_height
        low = min_trace_height(params).bit_length() - 1
        if type(log_height) is not int or not low <= log_height <= MAX_LOG_HEIGHT:
            _reject(f"the trace height 2^{log_height} is outside the supported "
                    f"2^{low}..2^{MAX_LOG_HEIGHT}")
        return trace_shape(1 << log_height, params)

    def _security(self, air, params, proof, height, min_security_bits) -> None:
        report = security_report(air, params, height)
        centibits = security_centibits(report)
        self.security_bits = centibits / 100
        if type(proof.security_centibits) is not int or proof.security_centibits != centibits:
            _reject(f"the proof states {proof.security_centibits!r} centibits of security, "
                    f"the verifier computes {centibits}")
        if report.bits < min_security_bits:
            _reject(f"{report.bits:.1f} bits of conjectured security ({report.binding}) is "
                    f"below the floor of {min_security_bits:g}")

    def _root(self, root: object, name: str) -> bytes:
        if not isinstance(root, bytes) or len(root) != 32:
            _reject(f"the {name} root is not 32 bytes")
        self.reporter.emit(Committed(name, root))
        return root

    def _preprocessed_root(self, air, shape, public_data, params) -> bytes:
        if air.fixed_preprocessed:
            # The columns depend on the shape alone: their root is a key, computed once
            # per process (or shipped), never from the caller's data.
            try:
                root = keys.preprocessed_root(air, params, shape.log_height)
            except Exception as error:  # noqa: BLE001 - the AIR's function at this height
                _reject(f"the preprocessed columns cannot be computed at this height: "
                        f"{error}")
            self.reporter.emit(Committed("preprocessed", root))
            return root
        try:
            prep = air.compute_preprocessed(shape, public_data)
        except Exception as error:  # noqa: BLE001 - the AIR's function on the caller's data
            _reject(f"the preprocessed columns cannot be computed from the public data: "
                    f"{error}")
        key = hashlib.sha256(params.to_words().tobytes()
                             + np.array(prep.shape, dtype="<u8").tobytes())
        key.update(np.ascontiguousarray(prep, dtype="<u4").data)
        digest = key.digest()
        with _preprocessed_lock:
            root = _preprocessed_roots.get(digest)
            if root is not None:
                _preprocessed_roots.move_to_end(digest)
        if root is None:
            root = commitment_root([prep], params)
            with _preprocessed_lock:
                _preprocessed_roots[digest] = root
                while len(_preprocessed_roots) > _PREPROCESSED_CACHE_SIZE:
                    _preprocessed_roots.popitem(last=False)
        self.reporter.emit(Committed("preprocessed", root))
        return root

    def _logup(self, air, proof, params, transcript, height, messages,
               global_challenges) -> np.ndarray:
        aux_root = self._root(proof.aux_root, "aux")
        logup_sum = proof.logup_sum
        sums = len(air.aux_public_names)
        if (not isinstance(logup_sum, np.ndarray) or logup_sum.dtype != np.uint32
                or logup_sum.shape != (4 * sums,) or np.any(logup_sum >= P)):
            _reject("the LogUp sum is not " + ("one canonical extension element" if sums == 1
                                               else "two canonical extension elements "
                                               "(local, global)"))
        if not transcript.check_pow(proof.logup_pow_nonce, params.logup_pow_bits):
            _reject("the LogUp proof of work is invalid: the proof was made for other public "
                    "inputs, parameters or AIR, or was altered")
        challenges = draw_logup_challenges(air, transcript, global_challenges)
        absorb_logup(transcript, aux_root, logup_sum)
        terms = total_interactions(air, height, messages)
        if terms >= P:
            _reject(f"{terms} LogUp terms: LogUp is sound only below p = {P}")
        try:
            public_sum = public_interaction_sum(air, messages, challenges)
        except ValueError as error:
            _reject(f"public messages: {error}")
        if Ext(*logup_sum[:4].tolist()) + public_sum != Ext.ZERO:
            _reject("the LogUp sum S and the public messages do not cancel: a bus is "
                    "unbalanced (the trace's messages are not the claimed ones)")
        return challenges

    def _report_queries(self, verdict, domain_size: int) -> None:
        self.positions, self.passed = verdict.query_indices, verdict.query_passed
        if self.positions is None:
            return
        self.reporter.emit(QueryPositions(self.positions, domain_size))
        if self.passed is not None:
            for i, (position, ok) in enumerate(zip(self.positions.tolist(),
                                                   self.passed.tolist())):
                self.reporter.emit(QueryChecked(i, position, bool(ok)))
