"""Prove and verify guest programs: the engine's public API for the CLI and workbench.

``prove(program, input_data)`` executes the guest with its trace recorded, builds the
machine AIR's witness (``engine.circuit``), proves it (``engine.stark``) and returns a
:class:`ProveResult` holding the :class:`~engine.receipt.Receipt`. ``verify(receipt)``
checks a receipt against the image it embeds, or against an expected image ID or
program, and returns a :class:`VerificationResult`; it never raises on a malformed or
dishonest receipt.

The claim is bound twice: its bytes (``claim_bytes``) are absorbed by the transcript
before any commitment, and the verifier derives the AIR's public values (entry, exit
code, journal length) and public bus messages (the initial image, the journal) from
it, so changing any of it changes what the proof must satisfy.
"""
from __future__ import annotations

import dataclasses
import hashlib
import struct
import time
from dataclasses import dataclass


from engine.circuit.capacity import image_fits, max_journal_bytes
from engine.codec import DecodeError
from engine.runtime.compile_time import compile_timer
from engine.runtime.memory import use_small_pages
from engine.errors import Cancelled, InputError, TraceLimitExceeded
from engine.events import (CancelToken, EventCallback, PhaseFinished, Reporter, SegmentFinished,
                           SegmentsPlanned, SegmentStarted, SegmentVerified)
from engine.policy import MAX_LOG_TRACE_HEIGHT, VerificationPolicy
from engine.receipt import ProgramImage, Receipt, SegmentSeal
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.vm import ExecutionResult, Program, execute

__all__ = ["MAX_LOG_TRACE_HEIGHT", "ProveResult", "VerificationPolicy", "VerificationResult",
           "claim_bytes", "prove", "verify"]

CLAIM_TAG = b"zkwb/claim/v1\x00"
# MAX_LOG_TRACE_HEIGHT (engine.policy): the tallest trace proven today (docs/security.md:
# ≥ 100 bits up to 2^20 rows); a run whose trace would not fit is refused after the
# fast counting pass, before proving, and a receipt claiming more is refused unread.

#: Prefix of the reason given when verification hit an unexpected error (as
#: ``engine.stark.verifier.INTERNAL_ERROR``): the receipt is rejected, and the reason
#: marks a verifier bug rather than a check.
INTERNAL_ERROR = "verifier error"


def claim_bytes(image_id: bytes, exit_code: int, journal: bytes) -> bytes:
    """The claim as the transcript absorbs it: tag ‖ image ID ‖ u32 exit code ‖
    u32 journal length ‖ SHA-256(journal)."""
    return (CLAIM_TAG + bytes(image_id) + struct.pack("<II", exit_code, len(journal))
            + hashlib.sha256(journal).digest())


@dataclass(frozen=True)
class ProveResult:
    """A receipt and what it took: the execution and the proving time per phase."""
    receipt: Receipt
    execution: ExecutionResult
    trace_rows: int
    seconds: float
    phase_seconds: dict[str, float]
    #: Of ``seconds``, the time Numba spent compiling kernels (a cold cache: first use
    #: on a machine without the packaged kernels; 0 once they are cached).
    compile_seconds: float = 0.0

    @property
    def khz(self) -> float:
        """Cycles proven per second, in kHz."""
        return self.execution.cycles / self.seconds / 1e3 if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class VerificationResult:
    """The verdict on a receipt, with everything a person wants to see next to it.

    ``image_id`` is the image the receipt claims; ``expected_image_id`` the one the
    caller asked for (None if none), and ``image_matches`` whether they agree.
    """
    valid: bool
    reason: str | None
    image_id: bytes
    expected_image_id: bytes | None
    exit_code: int
    journal: bytes
    security_bits: float
    trace_rows: int
    seconds: float
    query_positions: tuple[int, ...] = ()
    query_passed: tuple[bool, ...] = ()
    #: Of ``seconds``, the time Numba spent compiling the verifier (first use on a
    #: machine, cold cache; 0 once its kernels are cached).
    compile_seconds: float = 0.0

    @property
    def check_seconds(self) -> float:
        """The verification's own time, without compiling."""
        return max(0.0, self.seconds - self.compile_seconds)

    @property
    def image_matches(self) -> bool | None:
        return None if self.expected_image_id is None else self.expected_image_id == self.image_id

    @property
    def pinned(self) -> bool:
        """Whether the caller named the program (``image_id`` or ``program``). Unpinned,
        a valid verdict says only that the program the receipt carries, whichever it
        is, produced the claim."""
        return self.expected_image_id is not None


def prove(program: Program, input_data: bytes = b"", *, params: ProofParams = DEFAULT_PARAMS,
          detached: bool = False, max_cycles: int | None = None, check: bool = True,
          on_event: EventCallback | None = None,
          cancel: CancelToken | None = None) -> ProveResult:
    """Execute ``program`` on ``input_data`` and prove the run.

    Raises ``GuestFault`` (only exited runs can be proven), ``TraceLimitExceeded`` when
    the trace would exceed 2^20 rows (found by a fast counting pass, before any
    proving), ``engine.errors.ProvingError`` when the witness does not satisfy the
    AIR (with ``check``), and ``Cancelled``.
    """
    use_small_pages()
    with compile_timer() as compiling:
        result = _prove(program, input_data, params, detached, max_cycles, check, on_event,
                        cancel)
    return dataclasses.replace(result, compile_seconds=compiling.seconds)


def _prove(program, input_data, params, detached, max_cycles, check, on_event,
           cancel) -> ProveResult:
    from engine.circuit.image import MachineImage
    from engine.circuit.witness import generate_witness
    from engine.stark import encode_proof
    from engine.stark import prove as stark_prove
    from engine.stark.protocol import trace_height_for

    phases: dict[str, float] = {}

    def record(event) -> None:
        if isinstance(event, PhaseFinished):
            phases[event.phase] = phases.get(event.phase, 0.0) + event.seconds
        if on_event is not None:
            on_event(event)

    reporter = Reporter(record, cancel)

    start = time.perf_counter()
    max_height = 1 << MAX_LOG_TRACE_HEIGHT
    with reporter.phase("execute"):
        try:
            result = execute(program, input_data, max_cycles=max_cycles, record_trace=True,
                             max_trace_rows=max_height - params.zk_rows - 1,
                             should_cancel=lambda: cancel is not None and cancel.cancelled)
        except TraceLimitExceeded as e:
            raise TraceLimitExceeded(
                f"{e} (a trace of 2^{MAX_LOG_TRACE_HEIGHT} rows, less {params.zk_rows + 1} "
                "for zero knowledge and the halt); longer runs cannot be proven yet",
                cycles=e.cycles, limit=e.limit) from None
    reporter.check_cancel()

    image = MachineImage.from_program(program)
    with reporter.phase("witness"):
        witness = generate_witness(image, result, params=params)
    if witness.shape.height > max_height or witness.shape.height < trace_height_for(1, params):
        raise TraceLimitExceeded(f"the run needs a trace of {witness.shape.height} rows; zkwb "
                                 f"proves up to 2^{MAX_LOG_TRACE_HEIGHT}")

    reporter.emit(SegmentsPlanned(1, witness.shape.height, result.cycles))
    reporter.emit(SegmentStarted(0, 1, 0, result.cycles))
    segment_start = time.perf_counter()
    proof = stark_prove(witness.air, witness.main, public_values=witness.publics,
                        public_data=image, public_messages=witness.public_messages,
                        claim=claim_bytes(program.image_id, result.exit_code, result.journal),
                        params=params, check=check, on_event=record, cancel=cancel)
    reporter.emit(SegmentFinished(0, 1, time.perf_counter() - segment_start))
    receipt = Receipt(image_id=program.image_id, exit_code=result.exit_code,
                      journal=result.journal, params=params,
                      security_bits=proof.security_bits,
                      image=None if detached else ProgramImage.from_program(program),
                      segments=(SegmentSeal(proof.log_height, len(result.journal),
                                            encode_proof(proof)),))
    return ProveResult(receipt=receipt, execution=result, trace_rows=witness.shape.height,
                       seconds=time.perf_counter() - start, phase_seconds=phases)


def verify(receipt: Receipt, *, image_id: bytes | None = None, program: Program | None = None,
           policy: VerificationPolicy | None = None, on_event: EventCallback | None = None,
           cancel: CancelToken | None = None) -> VerificationResult:
    """Check that ``receipt``'s seal proves its claim.

    ``policy`` decides which proof parameters are accepted (default
    ``VerificationPolicy()``: the shipped parameters, at least 100 bits, up to 2^20
    rows); the receipt's parameters are only looked up in it, and its security is
    computed here from the parameters and the height. The program image comes from
    the receipt unless ``program`` is given (required for a detached receipt); an
    embedded image must hash to the receipt's image ID in any case. ``image_id`` or
    ``program`` pins the image the caller expects: a receipt for any other program is
    invalid, whatever its seal; without a pin the verdict only says that *some*
    program, the one the receipt carries, produced the claim (``pinned`` is False).

    The checks run cheapest first (``docs/receipt-format.md``, "What the verifier
    checks, in order"), so a hostile receipt costs no more to reject than an honest
    one of the same claimed height costs to accept. Never raises on a malformed
    receipt (only ``Cancelled``, and ``InputError`` for contradictory arguments).
    """
    if policy is None:
        policy = VerificationPolicy()
    elif not isinstance(policy, VerificationPolicy):
        raise InputError("policy must be an engine.VerificationPolicy")
    if program is not None and image_id is not None and program.image_id != image_id:
        raise InputError("the expected image ID and the expected program disagree")
    with compile_timer() as compiling:
        return _verify(receipt, image_id, program, policy, on_event, cancel, compiling)


def _verify(receipt, image_id, program, policy, on_event, cancel, compiling):
    start = time.perf_counter()
    expected = program.image_id if program is not None else image_id

    def verdict(reason: str | None, bits: float = 0.0, positions=(), passed=()):
        return VerificationResult(
            valid=reason is None, reason=reason, image_id=receipt.image_id,
            expected_image_id=expected, exit_code=receipt.exit_code, journal=receipt.journal,
            security_bits=bits, trace_rows=1 << receipt.log_trace_height,
            seconds=time.perf_counter() - start, query_positions=tuple(int(p) for p in positions),
            query_passed=tuple(bool(b) for b in passed), compile_seconds=compiling.seconds)

    try:
        return _checked(receipt, expected, program, policy, verdict, on_event, cancel)
    except Cancelled:
        raise
    except _Rejected as rejection:
        return verdict(rejection.reason)
    except Exception as error:  # noqa: BLE001 - a bug or unforeseen input: still a verdict
        return verdict(f"{INTERNAL_ERROR}: {type(error).__name__}: {error}")


class _Rejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _checked(receipt: Receipt, expected, program, policy, verdict, on_event, cancel):
    """The checks, cheapest first; raises ``_Rejected`` with the first one that fails."""
    from engine.circuit.machine import build_air
    from engine.stark import decode_proof
    from engine.stark.protocol import min_trace_height, security_centibits, security_report
    from engine.stark.shape import proof_shape

    # 1. What the caller asked for: the pinned image, the accepted parameters.
    if expected is not None and expected != receipt.image_id:
        raise _Rejected(f"the receipt is for image {receipt.image_id.hex()}, not the expected "
                        f"{expected.hex()}")
    if receipt.segment_count > 1:
        raise _Rejected("multi-segment receipts are not verified yet")
    segment = receipt.segments[0]
    params, log_height = receipt.params, segment.log_trace_height
    refused = policy.rejection(params)
    if refused:
        raise _Rejected(refused)
    # 2. The claimed height against the supported range, and the security the verifier
    # computes for it (the receipt's own figure must be the same: checked with the
    # seal's, in 5).
    try:
        low = min_trace_height(params).bit_length() - 1
    except ValueError as e:
        raise _Rejected(f"the receipt's parameters admit no trace height: {e}") from None
    if not low <= log_height <= policy.max_log_trace_height:
        raise _Rejected(f"the receipt claims a trace of 2^{log_height} rows; with its "
                        f"parameters this verifier accepts 2^{low} to "
                        f"2^{policy.max_log_trace_height} rows")
    height = 1 << log_height
    air = build_air()
    centibits = security_centibits(security_report(air, params, height))
    bits = centibits / 100
    if bits < policy.min_security_bits:
        raise _Rejected(f"{bits:.2f} bits of conjectured security at 2^{log_height} rows is "
                        f"below the policy's floor of {policy.min_security_bits:g}")
    # 3. The program image(s) and the journal against the height: what must fit in
    # the trace's real rows, before anything of that size is built.
    images = []
    if receipt.image is not None:
        images.append(("the program image in the receipt", receipt.image))
    if program is not None:
        images.append(("the program", ProgramImage.from_program(program)))
    if not images:
        raise _Rejected("the receipt is detached (it carries no program): give the program "
                        "to verify it against")
    real_rows = height - params.zk_rows
    for name, image in images:
        problem = image_fits(image.code_ranges, image.word_addresses, real_rows)
        if problem:
            raise _Rejected(f"{name} cannot have been proven in a trace of 2^{log_height} "
                            f"rows: {problem}")
    if len(receipt.journal) > max_journal_bytes(real_rows):
        raise _Rejected(f"a journal of {len(receipt.journal):,} bytes cannot have been "
                        f"written in a trace of 2^{log_height} rows (at most "
                        f"{max_journal_bytes(real_rows):,})")
    # 4. The embedded image is bound to the image ID whatever the caller pinned: a
    # receipt whose image was edited is invalid, not merely overridden.
    if receipt.image is not None and receipt.image.image_id() != receipt.image_id:
        raise _Rejected("the program image in the receipt does not hash to its image ID")
    source = images[-1][1]
    # 5. The seal, decoded into no more than an honest proof of this shape holds.
    shape = proof_shape(air, params, log_height)
    try:
        proof = decode_proof(segment.seal, shape.limits())
    except DecodeError as e:
        raise _Rejected(f"the seal is malformed: {e}") from None
    if proof.log_height != log_height:
        raise _Rejected("the receipt states a different trace height than its seal")
    if round(receipt.security_bits * 100) != centibits:
        raise _Rejected(f"the receipt states {receipt.security_bits:.2f} bits of security; "
                        f"the verifier computes {bits:.2f} for its parameters at "
                        f"2^{log_height} rows")
    if proof.security_centibits != centibits:
        raise _Rejected("the receipt states a different security level than its seal")
    problem = shape.check(proof)
    if problem:
        raise _Rejected(f"the seal does not have the shape its parameters and height imply: "
                        f"{problem}")
    # 6. Only now anything of size H: the public inputs, the preprocessed columns.
    return _verify_seal(receipt, source, proof, air, policy, verdict, on_event, cancel)


def _verify_seal(receipt: Receipt, source: ProgramImage, proof, air, policy, verdict,
                 on_event, cancel):
    from engine.circuit.image import MachineImage
    from engine.circuit.witness import public_inputs
    from engine.stark import verify as stark_verify

    try:
        image = MachineImage.from_words(source.entry, source.code_ranges, source.heap_start,
                                        source.word_addresses, source.word_values)
        publics, messages = public_inputs(image, receipt.exit_code, receipt.journal)
    except (ValueError, IndexError) as e:
        raise _Rejected(f"the program image cannot be used: {e}") from None
    result = stark_verify(air, proof, public_values=publics, public_data=image,
                          public_messages=messages,
                          claim=claim_bytes(receipt.image_id, receipt.exit_code, receipt.journal),
                          params=receipt.params, on_event=on_event, cancel=cancel,
                          min_security_bits=policy.min_security_bits)
    if on_event is not None:
        on_event(SegmentVerified(0, 1, result.valid))
    return verdict(result.reason, result.security_bits if result.valid else 0.0,
                   result.query_positions if result.query_positions is not None else (),
                   result.query_passed if result.query_passed is not None else ())
