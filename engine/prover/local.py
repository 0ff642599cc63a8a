"""Prove a run as segments, one after another, in this process.

``prove_run`` counts the run (``engine.segments.plan_segments``), then proves it in
two phases (``docs/continuations.md``): phase one builds every segment's witness and
commits its stage-0 columns alone; the global challenges are drawn from all those
roots; phase two builds each witness again and proves it with them. A run that fits
one trace of at most ``2^log_segment_height`` rows is one segment, in the smallest
trace that holds it. Memory holds one window, one witness and one proof at a time;
what is kept between segments is a root, a seed and the state handed over.

The steps are functions of their own, which ``engine.distributed`` reuses with both
phases on Dask workers: ``plan_run`` (execute and cut), ``commit_segments`` (phase
one in this process), ``prove_segment`` (one segment's phase two), ``assemble`` (the
global sum and the set's security), ``segment_seed`` (a segment's stage-0 seed from
the secret).
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from engine.circuit.image import MachineImage, image_messages
from engine.circuit.machine import build_air
from engine.circuit.witness import MachineWitness
from engine.errors import InputError, ProvingError
from engine.events import Reporter, SegmentFinished, SegmentsPlanned, SegmentStarted
from engine.segments import final_table, plan_segments
from engine.segments.plan import SegmentPlan
from engine.segments.witness import SegmentWitnesses
from engine.stark import encode_proof
from engine.stark import prove as stark_prove
from engine.stark.params import ProofParams
from engine.stark.prover import commit_stage0
from engine.stark.protocol import trace_height_for
from engine.stark.stage0 import (global_security_centibits, global_sum_balances,
                                 grind_global_challenges)
from engine.vm.executor import SegmentedRun
from engine.vm.program import Program

#: The default segment height (2^18 rows: the tallest whose proof stays under 4 GiB
#: of peak memory on the 2-core, 24 GiB machine, docs/benchmarks.md).
DEFAULT_LOG_SEGMENT_HEIGHT = 18
#: The lowest segment height (the byte table needs 512 real rows).
MIN_LOG_SEGMENT_HEIGHT = 10
MAX_LOG_SEGMENT_HEIGHT = 20


@dataclass(frozen=True)
class ProvedSegment:
    """One segment's proof: its height, the journal bytes written by its end, the
    encoded seal and the rows and cycles it covers."""
    log_height: int
    journal_end: int
    seal: bytes
    first_cycle: int
    cycles: int
    security_bits: float
    seconds: float


@dataclass(frozen=True)
class ProvedSegments:
    """Every segment's proof, the nonce of the proof of work ground before the global
    challenges, and the set's conjectured security: the lowest of the segments' and
    the global buses' (``engine.stark.stage0.global_security_centibits``)."""
    segments: tuple[ProvedSegment, ...]
    global_pow_nonce: int
    security_bits: float


@dataclass(frozen=True)
class ProvedRun:
    """A run proved as segments: the counted run and its :class:`ProvedSegments`."""
    run: SegmentedRun
    proved: ProvedSegments

    @property
    def segments(self) -> tuple[ProvedSegment, ...]:
        return self.proved.segments


def check_segment_height(log_height: int) -> int:
    """``log_height`` if zkwb proves segments of ``2^log_height`` rows, else
    ``InputError``."""
    if isinstance(log_height, bool) or not isinstance(log_height, int) or not (
            MIN_LOG_SEGMENT_HEIGHT <= log_height <= MAX_LOG_SEGMENT_HEIGHT):
        raise InputError(f"segments are 2^{MIN_LOG_SEGMENT_HEIGHT} to "
                         f"2^{MAX_LOG_SEGMENT_HEIGHT} rows; 2^{log_height} is not supported")
    return log_height


@dataclass(frozen=True, eq=False)
class PlannedRun:
    """A counted run ready to prove: its plan (``plan.run`` cut into segments of the
    chosen height), the circuit's image, the claim, the segments' trace height, the
    witness source and each segment's ``(first_cycle, cycles)``."""
    plan: SegmentPlan
    image: MachineImage
    claim: bytes
    log_height: int
    witnesses: SegmentWitnesses
    spans: tuple[tuple[int, int], ...]
    secret: bytes

    @property
    def count(self) -> int:
        return len(self.spans)


def plan_run(program: Program, input_data: bytes, *, claim_of: Callable[[SegmentedRun], bytes],
             params: ProofParams, log_segment_height: int = DEFAULT_LOG_SEGMENT_HEIGHT,
             max_cycles: int | None = None, reporter: Reporter | None = None,
             secret: bytes | None = None) -> PlannedRun:
    """Execute the run once (phase ``execute``), cut it into segments of at most
    ``2^log_segment_height`` rows (one segment in the smallest trace that holds it when
    it fits one), check that it fits them and emit :class:`SegmentsPlanned`. Raises
    what the executor raises, ``ProvingError`` when the run cannot be proven in such
    segments, ``InputError`` for an unsupported height, and ``Cancelled``."""
    reporter = reporter or Reporter()
    check_segment_height(log_segment_height)
    secret = secrets.token_bytes(32) if secret is None else secret
    image = MachineImage.from_program(program)
    should_cancel = reporter.cancelled
    with reporter.phase("execute"):
        plan = plan_segments(program, input_data, (1 << log_segment_height) - params.zk_rows,
                             max_cycles=max_cycles, should_cancel=should_cancel)
    reporter.check_cancel()
    claim = claim_of(plan.run)
    log_height = log_segment_height
    if plan.segment_count == 1:
        needed = max(plan.run.rows, len(plan.final), len(image.code_words), 512)
        log_height = max(trace_height_for(needed, params).bit_length() - 1,
                         MIN_LOG_SEGMENT_HEIGHT)
        log_height = min(log_height, log_segment_height)
        run = dataclasses.replace(plan.run, rows_per_segment=(1 << log_height) - params.zk_rows)
        plan = dataclasses.replace(plan, run=run, final=final_table(run))
    witnesses = SegmentWitnesses(plan, image, log_height, secret, params)
    problem = witnesses.capacity_problem()
    if problem:
        raise ProvingError(f"the run cannot be proven in segments of 2^{log_height} rows: "
                           f"{problem}; prove it with taller segments")
    count = plan.segment_count
    rows = plan.run.rows_per_segment
    reporter.emit(SegmentsPlanned(count, rows, plan.run.cycles))
    spans = tuple((k * rows, min(rows, plan.run.rows - k * rows)) for k in range(count))
    return PlannedRun(plan, image, claim, log_height, witnesses, spans, bytes(secret))


def prove_run(program: Program, input_data: bytes, *, claim_of: Callable[[SegmentedRun], bytes],
              params: ProofParams,
              log_segment_height: int = DEFAULT_LOG_SEGMENT_HEIGHT,
              max_cycles: int | None = None, check: bool = True, row_check: bool = True,
              reporter: Reporter | None = None, secret: bytes | None = None) -> ProvedRun:
    """Prove ``program`` on ``input_data`` in segments of at most
    ``2^log_segment_height`` rows. ``claim_of(run)``: the claim bytes every segment's
    transcript and the global challenges absorb, from the counted run. Raises what the executor raises (a fault, the
    cycle limit), ``ProvingError`` when a run cannot be proven in such segments or a
    witness does not satisfy the AIR (with ``check``; ``row_check``: see
    ``engine.stark.prove``), and ``Cancelled``."""
    reporter = reporter or Reporter()
    planned = plan_run(program, input_data, claim_of=claim_of, params=params,
                       log_segment_height=log_segment_height, max_cycles=max_cycles,
                       reporter=reporter, secret=secret)
    proved = prove_segments(lambda: iter(planned.witnesses), planned.spans, planned.image,
                            claim=planned.claim, params=params, check=check,
                            row_check=row_check, reporter=reporter, secret=planned.secret)
    return ProvedRun(planned.plan.run, proved)


@dataclass(frozen=True, eq=False)
class PhaseOne:
    """What phase one leaves: every segment's stage-0 root, and for a run of one
    segment its witness (phase two proves it without recording it again)."""
    roots: list[bytes]
    kept: MachineWitness | None


def commit_segments(recorded: Iterator[MachineWitness], count: int, params: ProofParams,
                    seeds: Sequence[bytes], reporter: Reporter) -> PhaseOne:
    """Phase one: commit each recorded witness's stage-0 columns with its seed (phase
    ``stage0``, its progress the segments committed). Raises ``ProvingError`` unless
    there are ``count`` witnesses."""
    air = build_air()
    roots, kept = [], None
    with reporter.phase("stage0"):
        for k, witness in enumerate(recorded):
            reporter.check_cancel()
            roots.append(commit_stage0(air, witness.main, params=params, stage0_seed=seeds[k]))
            # A run of one segment keeps its witness for phase two (memory holds one
            # witness either way; neither phase writes to it) instead of recording it
            # again.
            kept = witness if count == 1 else None
            reporter.progress("stage0", len(roots) / max(count, 1))
    if len(roots) != count:
        raise ProvingError(f"{len(roots)} segments were recorded, not {count}")
    return PhaseOne(roots, kept)


def prove_segment(witness: MachineWitness, image: MachineImage, *, claim: bytes,
                  params: ProofParams, seed: bytes, challenges, check: bool = True,
                  row_check: bool = True, on_event=None, cancel=None):
    """Phase two of one segment: the STARK proof of ``witness`` with its stage-0
    ``seed`` and the run's global ``challenges`` (an ``engine.stark`` proof; encode it
    with ``engine.stark.encode_proof``)."""
    return stark_prove(build_air(), witness.main, public_values=witness.publics,
                       public_data=image, public_messages=witness.public_messages,
                       claim=claim, params=params, check=check, on_event=on_event,
                       cancel=cancel, stage0_seed=seed, global_challenges=challenges,
                       row_check=row_check)


def prove_segments(recorded: Callable[[], Iterator[MachineWitness]],
                   spans: Sequence[tuple[int, int]], image: MachineImage, *, claim: bytes,
                   params: ProofParams, check: bool = True, row_check: bool = True,
                   reporter: Reporter | None = None,
                   secret: bytes | None = None) -> ProvedSegments:
    """The two phases over a set of segment witnesses: ``recorded()`` yields them in
    order (it is called twice and must give the same traces), ``spans`` has each
    one's ``(first_cycle, cycles)``. Raises ``ProvingError`` (with ``check``) when a
    witness does not satisfy the AIR or the set does not balance across boundaries."""
    reporter = reporter or Reporter()
    secret = secrets.token_bytes(32) if secret is None else secret
    air = build_air()
    count = len(spans)
    seeds = [segment_seed(secret, k) for k in range(count)]
    first = commit_segments(recorded(), count, params, seeds, reporter)
    roots = first.roots
    with reporter.phase("global challenges"):
        nonce, challenges = grind_global_challenges(air, claim, roots, params.global_pow_bits)

    proved, shares = [], []
    witnesses = iter([first.kept]) if first.kept is not None else recorded()
    first = None
    for k, (first_cycle, cycles) in enumerate(spans):
        reporter.check_cancel()
        with reporter.phase("witness"):
            witness = next(witnesses)
        reporter.emit(SegmentStarted(k, count, first_cycle, cycles))
        start = time.perf_counter()
        proof = prove_segment(witness, image, claim=claim, params=params, seed=seeds[k],
                              challenges=challenges, check=check, row_check=row_check,
                              on_event=reporter.emit, cancel=reporter.cancel)
        if check and proof.stage0_root != roots[k]:
            raise ProvingError(f"segment {k} was recorded differently in the two phases")
        shares.append(proof.logup_sum[4:8])
        seconds = time.perf_counter() - start
        proved.append(ProvedSegment(proof.log_height, witness.publics["j_out"],
                                    encode_proof(proof), first_cycle, cycles,
                                    proof.security_bits, seconds))
        reporter.emit(SegmentFinished(k, count, seconds))
    return assemble(air, proved, shares, image, challenges, nonce, params, check)


def assemble(air, proved: Sequence[ProvedSegment], shares, image: MachineImage, challenges,
             nonce: int, params: ProofParams, check: bool = True) -> ProvedSegments:
    """The proved set: with ``check``, the segments' global shares must balance with
    the image's messages (else ``ProvingError``); the set's security is the lowest of
    the segments' and the global sum's."""
    image_sends = (image_messages(image),)
    if check and not global_sum_balances(air, shares, image_sends, challenges):
        raise ProvingError("the segments' memory and state do not balance across boundaries")
    centibits = min(min(round(s.security_bits * 100) for s in proved),
                    global_security_centibits(air, params, [1 << s.log_height for s in proved],
                                              image_sends))
    return ProvedSegments(tuple(proved), nonce, centibits / 100)


def segment_seed(secret: bytes, index: int) -> bytes:
    """The 32-byte seed of segment ``index``'s stage-0 zero-knowledge rows, from the
    prover's secret (both phases, on any machine, commit the same root with it)."""
    return _stage0_seed(secret, index)


def _stage0_seed(secret: bytes, index: int) -> bytes:
    return hashlib.sha256(b"zkwb/stage0-seed/v1" + secret + index.to_bytes(8, "little")).digest()


__all__ = ["DEFAULT_LOG_SEGMENT_HEIGHT", "MIN_LOG_SEGMENT_HEIGHT", "PhaseOne", "PlannedRun",
           "ProvedRun", "ProvedSegment", "ProvedSegments", "assemble", "check_segment_height",
           "commit_segments", "plan_run", "prove_run", "prove_segment", "prove_segments",
           "segment_seed"]

