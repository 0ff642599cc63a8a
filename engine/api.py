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


from engine.circuit.capacity import COUNTER_BITS, image_fits, max_journal_bytes
from engine.codec import DecodeError
from engine.runtime.compile_time import compile_timer
from engine.runtime.memory import use_small_pages
from engine.errors import Cancelled, InputError
from engine.events import (CancelToken, EventCallback, PhaseFinished, Reporter, SegmentVerified)
from engine.policy import MAX_LOG_TRACE_HEIGHT, VerificationPolicy
from engine.receipt import ProgramImage, Receipt, SegmentSeal
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.vm import ExecutionResult, Program

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
class SegmentFigures:
    """What proving one segment covered and took: cycles ``[first_cycle, first_cycle +
    cycles)`` and ``seconds`` of proving (phase two)."""
    first_cycle: int
    cycles: int
    seconds: float


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
    #: Each segment's cycles and proving time (phase two), in order.
    segment_figures: tuple[SegmentFigures, ...] = ()

    @property
    def segments(self) -> int:
        return self.receipt.segment_count

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
    segments: int = 1
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
          row_check: bool = False, log_segment_height: int | None = None,
          on_event: EventCallback | None = None,
          cancel: CancelToken | None = None, cluster=None,
          workers: int | None = None) -> ProveResult:
    """Execute ``program`` on ``input_data`` and prove the run, however long.

    A run longer than one trace is proved as segments of ``2^log_segment_height`` rows
    (default ``engine.prover.DEFAULT_LOG_SEGMENT_HEIGHT``), one after another
    (``docs/continuations.md``); a run that fits one is one segment. The finished
    receipt is verified before it is returned (tens of milliseconds a segment), so a
    receipt that does not verify is never handed out. ``check``: the prover-side
    checks (``engine.stark.prove``: the security floor, each LogUp sum, the
    quotient's degree, the global sum); ``row_check`` also runs the row checker
    before each segment's proof (about an eighth more time), which names the
    constraint and row a bad witness breaks. Raises ``GuestFault`` (only exited runs
    can be proven), ``TraceLimitExceeded`` when the run exceeds the longest provable
    run, ``InputError`` for an unsupported segment height,
    ``engine.errors.ProvingError`` when a check fails or the receipt does not verify,
    and ``Cancelled``.

    ``cluster`` (a Dask scheduler address, ``tcp://HOST:8786``, or a
    ``distributed.Client``) or ``workers`` (a number of local worker processes, started
    for this proof and closed after) prove the segments on Dask workers instead of in
    this process (``docs/distributed.md``); the receipt is the same. Without them Dask
    is not imported. An unreachable scheduler raises ``InputError`` within seconds.
    """
    use_small_pages()
    if cluster is not None and workers is not None:
        raise InputError("give a cluster or a number of local workers, not both")
    with compile_timer() as compiling:
        result = _prove(program, input_data, params, detached, max_cycles, check,
                        row_check, log_segment_height, on_event, cancel, cluster, workers)
    return dataclasses.replace(result, compile_seconds=compiling.seconds)


def _prove(program, input_data, params, detached, max_cycles, check, row_check,
           log_segment_height, on_event, cancel, cluster=None, workers=None) -> ProveResult:
    from engine.prover import DEFAULT_LOG_SEGMENT_HEIGHT, prove_run

    phases: dict[str, float] = {}

    def record(event) -> None:
        if isinstance(event, PhaseFinished):
            phases[event.phase] = phases.get(event.phase, 0.0) + event.seconds
        if on_event is not None:
            on_event(event)

    reporter = Reporter(record, cancel)
    start = time.perf_counter()
    if log_segment_height is None:
        log_segment_height = DEFAULT_LOG_SEGMENT_HEIGHT
    def claim_of(run):
        return claim_bytes(program.image_id, run.exit_code, run.journal)

    if cluster is None and workers is None:
        proved = prove_run(program, input_data, claim_of=claim_of, params=params,
                           log_segment_height=log_segment_height, max_cycles=max_cycles,
                           check=check, row_check=row_check, reporter=reporter)
    else:
        from engine.distributed import prove_run_distributed

        proved = prove_run_distributed(program, input_data, claim_of=claim_of, params=params,
                                       log_segment_height=log_segment_height,
                                       max_cycles=max_cycles, check=check,
                                       row_check=row_check, reporter=reporter,
                                       cluster=cluster, workers=workers)
    run = proved.run
    segments = tuple(SegmentSeal(s.log_height, s.journal_end, s.seal) for s in proved.segments)
    receipt = Receipt(image_id=program.image_id, exit_code=run.exit_code, journal=run.journal,
                      params=params, security_bits=proved.proved.security_bits,
                      image=None if detached else ProgramImage.from_program(program),
                      segments=segments, global_pow_nonce=proved.proved.global_pow_nonce)
    with reporter.phase("verify receipt"):
        _verify_own(receipt, program, cancel)
    execution = ExecutionResult(exit_code=run.exit_code, journal=run.journal, log=run.log,
                                cycles=run.cycles, registers=run.registers,
                                seconds=run.seconds, log_bytes_dropped=run.log_bytes_dropped,
                                input_length=run.input_length)
    return ProveResult(receipt=receipt, execution=execution,
                       trace_rows=sum(1 << s.log_height for s in proved.segments),
                       seconds=time.perf_counter() - start, phase_seconds=phases,
                       segment_figures=tuple(SegmentFigures(s.first_cycle, s.cycles, s.seconds)
                                             for s in proved.segments))


def _verify_own(receipt: Receipt, program: Program, cancel) -> None:
    """Verify a receipt just proved, under a policy that accepts its parameters at any
    security: the prover's own last check. Raises ``ProvingError`` if it fails."""
    from engine.errors import ProvingError

    policy = VerificationPolicy.allowing(receipt.params, min_security_bits=0.0)
    result = verify(receipt, program=program, policy=policy, cancel=cancel)
    if not result.valid:
        raise ProvingError(f"the receipt just proved does not verify: {result.reason} (a "
                           "prover bug: prove again with the row check, zkwb prove --check, "
                           "to find the constraint a witness breaks)")


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
    receipt (only ``Cancelled``, and ``InputError`` for arguments of the wrong type or
    contradictory ones).
    """
    if not isinstance(receipt, Receipt):
        raise InputError("receipt must be an engine.Receipt (engine.read_receipt reads one "
                         "from a file, engine.receipt.decode_receipt from bytes)")
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
            security_bits=bits,
            trace_rows=receipt.trace_rows,
            segments=receipt.segment_count, seconds=time.perf_counter() - start, query_positions=tuple(int(p) for p in positions),
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
    from engine.stark.protocol import min_trace_height, security_centibits, security_report
    from engine.stark.stage0 import global_challenges, global_security_centibits

    # 1. What the caller asked for: the pinned image, the accepted parameters.
    if expected is not None and expected != receipt.image_id:
        raise _Rejected(f"the receipt is for image {receipt.image_id.hex()}, not the expected "
                        f"{expected.hex()}")
    params = receipt.params
    refused = policy.rejection(params)
    if refused:
        raise _Rejected(refused)
    # 2. Each segment's claimed height against the supported range, and the security the
    # verifier computes for the tallest (the receipt's own figure must be the same, and
    # each seal's its height's: checked with the seals, in 5).
    try:
        low = min_trace_height(params).bit_length() - 1
    except ValueError as e:
        raise _Rejected(f"the receipt's parameters admit no trace height: {e}") from None
    air = build_air()
    centibits = {}
    for k, segment in enumerate(receipt.segments):
        log_height = segment.log_trace_height
        if not low <= log_height <= policy.max_log_trace_height:
            raise _Rejected(f"segment {k} claims a trace of 2^{log_height} rows; with its "
                            f"parameters this verifier accepts 2^{low} to "
                            f"2^{policy.max_log_trace_height} rows")
        if log_height not in centibits:
            centibits[log_height] = security_centibits(
                security_report(air, params, 1 << log_height))
    lowest = min(centibits.values())
    bits = lowest / 100
    if bits < policy.min_security_bits:
        raise _Rejected(f"{bits:.2f} bits of conjectured security at 2^"
                        f"{receipt.log_trace_height} rows is below the policy's floor of "
                        f"{policy.min_security_bits:g}")
    # 3. The program image(s) and the journal against the heights: what must fit in
    # the segments' real rows, before anything of that size is built.
    images = []
    if receipt.image is not None:
        images.append(("the program image in the receipt", receipt.image))
    if program is not None:
        images.append(("the program", ProgramImage.from_program(program)))
    if not images:
        raise _Rejected("the receipt is detached (it carries no program): give the program "
                        "to verify it against")
    real_rows = [(1 << s.log_trace_height) - params.zk_rows for s in receipt.segments]
    single = receipt.segment_count == 1
    where = (f"a trace of 2^{receipt.log_trace_height} rows" if single
             else "segments of these heights")
    for name, image in images:
        problem = image_fits(image.code_ranges, image.word_addresses, min(real_rows),
                             memory_rows=sum(real_rows))
        if problem:
            raise _Rejected(f"{name} cannot have been proven in {where}: {problem}")
    if single and len(receipt.journal) > max_journal_bytes(real_rows[0]):
        raise _Rejected(f"a journal of {len(receipt.journal):,} bytes cannot have been "
                        f"written in {where} (at most {max_journal_bytes(real_rows[0]):,})")
    bounds = _journal_bounds(receipt)
    for k, ((j_in, j_out), rows) in enumerate(zip(bounds, real_rows)):
        if not 0 <= j_in <= j_out or j_out - j_in > max_journal_bytes(rows):
            raise _Rejected(f"segment {k} cannot have written journal bytes {j_in:,} to "
                            f"{j_out:,} in a trace of {rows + params.zk_rows:,} rows")
    if bounds[-1][1] != len(receipt.journal):
        raise _Rejected(f"the segments end at journal byte {bounds[-1][1]:,}, not at the "
                        f"end of the {len(receipt.journal):,}-byte journal")
    # 4. The embedded image is bound to the image ID whatever the caller pinned: a
    # receipt whose image was edited is invalid, not merely overridden. The image's
    # messages on the global bus then give the global sum's security, which joins the
    # segments' (it falls with the total height, so a receipt of absurdly many
    # segments is refused here).
    if receipt.image is not None and receipt.image.image_id() != receipt.image_id:
        raise _Rejected("the program image in the receipt does not hash to its image ID")
    image, image_sends = _machine_image(images[-1][1])
    global_centibits = global_security_centibits(
        air, params, [1 << s.log_trace_height for s in receipt.segments], image_sends)
    if global_centibits < lowest:
        lowest = global_centibits
        bits = lowest / 100
        if bits < policy.min_security_bits:
            raise _Rejected(f"{bits:.2f} bits of conjectured security for the global sum "
                            f"over {receipt.segment_count:,} segments is below the "
                            f"policy's floor of {policy.min_security_bits:g}")
    # The cycle counter's values stay below p (engine.circuit.cpu).
    if sum(real_rows) > 1 << COUNTER_BITS:
        raise _Rejected(f"the segments hold {sum(real_rows):,} rows; a run has at most "
                        f"2^{COUNTER_BITS} (the cycle counter's range)")
    # 5. Every seal, decoded into no more than an honest proof of its shape holds: the
    # global challenges need every segment's stage-0 root before any is verified.
    roots = []
    for k, segment in enumerate(receipt.segments):
        if cancel is not None:
            cancel.raise_if_cancelled()
        proof = _decoded_seal(air, params, k, segment, centibits[segment.log_trace_height],
                              receipt.segment_count)
        roots.append(proof.stage0_root)
    if round(receipt.security_bits * 100) != lowest:
        raise _Rejected(f"the receipt states {receipt.security_bits:.2f} bits of security; "
                        f"the verifier computes {bits:.2f} for its parameters at 2^"
                        f"{receipt.log_trace_height} rows")
    claim = claim_bytes(receipt.image_id, receipt.exit_code, receipt.journal)
    challenges = global_challenges(air, claim, roots, pow_bits=params.global_pow_bits,
                                   nonce=receipt.global_pow_nonce)
    if challenges is None:
        raise _Rejected("the receipt's global proof of work does not pass: its segments "
                        "were proved for another claim, or the receipt was altered")
    # 6. Each seal against its public inputs (the preprocessed root is the height's key).
    return _verify_seals(receipt, claim, image, image_sends, challenges, bounds, real_rows,
                         air, policy, lowest, centibits, verdict, on_event, cancel)


def _machine_image(source: ProgramImage):
    """The circuit's image of ``source`` and its messages on the global words bus."""
    from engine.circuit.image import MachineImage, image_messages

    try:
        image = MachineImage.from_words(source.entry, source.code_ranges, source.heap_start,
                                        source.word_addresses, source.word_values)
    except (ValueError, IndexError) as e:
        raise _Rejected(f"the program image cannot be used: {e}") from None
    return image, (image_messages(image),)


def _journal_bounds(receipt: Receipt) -> list[tuple[int, int]]:
    """``(j_in, j_out)`` of each segment: the journal bytes written before it and by its
    end, chained from 0."""
    bounds, start = [], 0
    for segment in receipt.segments:
        bounds.append((start, segment.journal_end))
        start = segment.journal_end
    return bounds


def _decoded_seal(air, params, k: int, segment, centibits: int, count: int):
    from engine.stark import decode_proof
    from engine.stark.shape import proof_shape

    of = "" if count == 1 else f" of segment {k}"
    shape = proof_shape(air, params, segment.log_trace_height)
    try:
        proof = decode_proof(segment.seal, shape.limits())
    except DecodeError as e:
        raise _Rejected(f"the seal{of} is malformed: {e}") from None
    if proof.log_height != segment.log_trace_height:
        raise _Rejected(f"the receipt states a different trace height{of} than its seal")
    if proof.security_centibits != centibits:
        raise _Rejected(f"the receipt states a different security level{of} than its seal")
    problem = shape.check(proof)
    if problem:
        raise _Rejected(f"the seal{of} does not have the shape its parameters and height "
                        f"imply: {problem}")
    return proof


def _verify_seals(receipt: Receipt, claim: bytes, image, image_sends, challenges, bounds,
                  real_rows, air, policy, lowest, centibits, verdict, on_event, cancel):
    from engine.circuit.witness import segment_messages, segment_publics
    from engine.stark import verify as stark_verify
    from engine.stark.stage0 import global_sum_balances

    count = receipt.segment_count
    shares, first = [], None
    first_cycle = 0
    for k, segment in enumerate(receipt.segments):
        proof = _decoded_seal(air, receipt.params, k, segment,
                              centibits[segment.log_trace_height], count)
        j_in, j_out = bounds[k]
        publics = segment_publics(image, receipt.exit_code, k, count, j_in, j_out, first_cycle)
        first_cycle += real_rows[k]
        result = stark_verify(air, proof, public_values=publics, public_data=image,
                              public_messages=segment_messages(image, receipt.journal, j_in,
                                                               j_out),
                              claim=claim, params=receipt.params, on_event=on_event,
                              cancel=cancel, min_security_bits=policy.min_security_bits,
                              global_challenges=challenges)
        if on_event is not None:
            on_event(SegmentVerified(k, count, result.valid))
        if first is None:
            first = result
        if not result.valid:
            reason = result.reason if count == 1 else f"segment {k}: {result.reason}"
            return verdict(reason, 0.0, *_queries(result))
        shares.append(result.global_sum)
    if not global_sum_balances(air, shares, image_sends, challenges):
        return verdict("the segments' memory and state do not balance across their "
                       "boundaries (the global LogUp sum is not zero)")
    return verdict(None, lowest / 100, *_queries(first))


def _queries(result) -> tuple:
    """The query positions and verdicts a result shows (empty when it has none)."""
    return (() if result.query_positions is None else result.query_positions,
            () if result.query_passed is None else result.query_passed)
