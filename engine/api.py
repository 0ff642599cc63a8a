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

from engine.codec import DecodeError
from engine.compile_time import compile_timer
from engine.memory import use_small_pages
from engine.errors import InputError, TraceLimitExceeded
from engine.events import CancelToken, EventCallback, PhaseFinished, Reporter
from engine.receipt import ProgramImage, Receipt
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.vm import ExecutionResult, Program, execute

CLAIM_TAG = b"zkwb/claim/v1\x00"
# The tallest trace proven today (DESIGN.md: ≥ 100 bits up to 2^20 rows); a run
# whose trace would not fit is refused after the fast counting pass, before proving.
MAX_LOG_TRACE_HEIGHT = 20


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

    proof = stark_prove(witness.air, witness.main, public_values=witness.publics,
                        public_data=image, public_messages=witness.public_messages,
                        claim=claim_bytes(program.image_id, result.exit_code, result.journal),
                        params=params, check=check, on_event=record, cancel=cancel)
    receipt = Receipt(image_id=program.image_id, exit_code=result.exit_code,
                      journal=result.journal, params=params,
                      security_bits=proof.security_bits, log_trace_height=proof.log_height,
                      image=None if detached else ProgramImage.from_program(program),
                      seal=encode_proof(proof))
    return ProveResult(receipt=receipt, execution=result, trace_rows=witness.shape.height,
                       seconds=time.perf_counter() - start, phase_seconds=phases)


def verify(receipt: Receipt, *, image_id: bytes | None = None, program: Program | None = None,
           on_event: EventCallback | None = None,
           cancel: CancelToken | None = None) -> VerificationResult:
    """Check that ``receipt``'s seal proves its claim.

    The program image comes from the receipt unless ``program`` is given (required for
    a detached receipt). ``image_id`` or ``program`` pins the image the caller expects:
    a receipt for any other program is invalid, whatever its seal. Never raises on a
    malformed receipt (only ``Cancelled``).
    """
    with compile_timer() as compiling:
        return _verify(receipt, image_id, program, on_event, cancel, compiling)


def _verify(receipt, image_id, program, on_event, cancel, compiling) -> VerificationResult:
    start = time.perf_counter()
    expected = program.image_id if program is not None else image_id
    if program is not None and image_id is not None and program.image_id != image_id:
        raise InputError("the expected image ID and the expected program disagree")

    def verdict(reason: str | None, bits: float = 0.0, positions=(), passed=()):
        return VerificationResult(
            valid=reason is None, reason=reason, image_id=receipt.image_id,
            expected_image_id=expected, exit_code=receipt.exit_code, journal=receipt.journal,
            security_bits=bits, trace_rows=1 << receipt.log_trace_height,
            seconds=time.perf_counter() - start, query_positions=tuple(int(p) for p in positions),
            query_passed=tuple(bool(b) for b in passed), compile_seconds=compiling.seconds)

    if expected is not None and expected != receipt.image_id:
        return verdict(f"the receipt is for image {receipt.image_id.hex()}, not the expected "
                       f"{expected.hex()}")
    if program is not None:
        source = ProgramImage.from_program(program)
    elif receipt.image is not None:
        source = receipt.image
    else:
        return verdict("the receipt is detached (it carries no program): give the program "
                       "to verify it against")
    if source.image_id() != receipt.image_id:
        return verdict("the program image in the receipt does not hash to its image ID")
    return _verify_seal(receipt, source, verdict, on_event, cancel)


def _verify_seal(receipt: Receipt, source: ProgramImage, verdict, on_event, cancel):
    from engine.circuit.image import MachineImage
    from engine.circuit.machine import build_air
    from engine.circuit.witness import public_inputs
    from engine.stark import decode_proof
    from engine.stark import verify as stark_verify

    try:
        proof = decode_proof(receipt.seal)
    except DecodeError as e:
        return verdict(f"the seal is malformed: {e}")
    if proof.log_height != receipt.log_trace_height:
        return verdict("the receipt states a different trace height than its seal")
    if abs(proof.security_bits - receipt.security_bits) > 0.005:
        return verdict("the receipt states a different security level than its seal")
    if proof.log_height > MAX_LOG_TRACE_HEIGHT:
        return verdict(f"the seal's trace of 2^{proof.log_height} rows is taller than zkwb "
                       f"proves (2^{MAX_LOG_TRACE_HEIGHT})")
    try:
        image = MachineImage.from_words(source.entry, source.code_ranges, source.heap_start,
                                        source.word_addresses, source.word_values)
        publics, messages = public_inputs(image, receipt.exit_code, receipt.journal)
    except (ValueError, IndexError) as e:
        return verdict(f"the program image cannot be used: {e}")
    result = stark_verify(build_air(), proof, public_values=publics, public_data=image,
                          public_messages=messages,
                          claim=claim_bytes(receipt.image_id, receipt.exit_code, receipt.journal),
                          params=receipt.params, on_event=on_event, cancel=cancel)
    return verdict(result.reason, result.security_bits if result.valid else 0.0,
                   result.query_positions if result.query_positions is not None else (),
                   result.query_passed if result.query_passed is not None else ())
