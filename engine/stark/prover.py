"""The STARK prover: a main trace that satisfies an AIR in, a :class:`Proof` out.

::

    proof = prove(air, main, public_values=publics, public_data=data,
                  public_messages=messages, claim=claim_bytes)

``main`` is the full ``(n_main, H)`` trace: the witness in rows
``0 .. H − zk_rows − 1`` and anything in the last ``params.zk_rows`` rows, which the
prover overwrites with fresh random values (``trace_shape(H, params)`` says where they
start; ``trace_height_for(rows, params)`` picks H for a witness of ``rows`` rows).
The steps, in transcript order (``docs/stark.md``):

1. bind the public inputs (:func:`engine.stark.protocol.bind_public_inputs`);
2. commit the preprocessed columns (``air.compute_preprocessed(shape, public_data)``;
   for an AIR whose preprocessed columns are all fixed, the proving key of
   :mod:`engine.stark.keys`, committed once per process and height);
3. commit the main trace;
4. LogUp: grind, draw γ and β, build and commit the aux trace, send its sum S;
5. draw α, evaluate the constraints over the LDE coset, divide by ``Z_H`` and commit
   the randomized quotient chunks (:mod:`engine.stark.quotient`);
6. draw ζ and open every commitment at ζ (the trace also at ζ·ω) with one DEEP-FRI
   proof (:mod:`engine.stark.pcs`).

Every phase reports its fraction done (``engine.events.Progress``) as its chunks of
work end: the row checker's blocks of rows, each batch of columns extended and each
round of a Merkle tree (:meth:`engine.hash.merkle.MerkleTree.commit`), the LogUp
trace's blocks of rows, the quotient's blocks of points, the opening and each FRI
layer; each phase's fractions rise to 1.0 at its end.

With ``check=True`` (the default) the row checker runs first and a witness that does
not satisfy the AIR raises :class:`ProvingError` carrying its report (first failing
row and constraint by name, unbalanced bus messages). ``check=False`` skips every
prover-side check, so tests can build proofs of wrong witnesses and watch the
verifier reject them.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.errors import ProvingError
from engine.events import (
    CancelToken,
    Committed,
    EventCallback,
    FriLayers,
    PhaseFinished,
    PhaseStarted,
    QueryPositions,
    Reporter,
    TraceReady,
)
from engine.field.babybear import GENERATOR, P, bb_random
from engine.field.scalar import Ext
from engine.hash.merkle import MerkleTree
from engine.runtime.memory import use_small_pages
from engine.poly.ntt import coset_lde, coset_ntt
from engine.stark import keys
from engine.stark.air import Air
from engine.stark.check_constraints import check_constraints
from engine.stark.fri import fri_shape
from engine.stark.logup_trace import (
    PublicMessages,
    build_aux_trace,
    public_interaction_sum,
    total_interactions,
)
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.stark.pcs import CommittedMatrices, commit, prove_openings
from engine.stark.proof import Proof
from engine.stark.protocol import (
    LABEL_ALPHA,
    LABEL_MAIN,
    LABEL_PREPROCESSED,
    LABEL_QUOTIENT,
    absorb_logup,
    absorb_stage0,
    bind_public_inputs,
    checked_global_challenges,
    draw_logup_challenges,
    draw_zeta,
    opening_points,
    security_centibits,
    security_report,
    trace_shape,
)
from engine.stark.quotient import chunk_count, quotient_values, split_quotient
from engine.stark.security import MIN_SECURITY_BITS
from engine.stark.selectors import quotient_degree
from engine.stark.transcript import Transcript

__all__ = ["ProvingError", "commit_stage0", "prove", "stage0_zk_rows"]

# LDE points extended per batch of columns in a large commit: about 0.1 s of work, so a
# cancel takes effect quickly.
_LDE_POINTS_PER_BATCH = 1 << 24

# The parts of a phase's fraction its steps take, near their shares of its time at
# 2^16 rows (sha256 on two cores): extending the columns in a commit (the Merkle tree
# is the rest), the aux columns in LogUp (committing them is the rest), the
# constraint values in the quotient (splitting and committing the chunks are the rest).
_EXTEND_SHARE = 0.75
_AUX_BUILD_SHARE = 0.55
_QUOTIENT_VALUES_SHARE = 0.85


def prove(air: Air, main: np.ndarray, *, public_values, public_data: Any = None,
          public_messages: Sequence[PublicMessages] = (), claim: bytes = b"",
          params: ProofParams = DEFAULT_PARAMS, rng: np.random.Generator | None = None,
          check: bool = True, on_event: EventCallback | None = None,
          cancel: CancelToken | None = None, stage0_seed: bytes | None = None,
          global_challenges: np.ndarray | None = None, row_check: bool = True) -> Proof:
    """Prove that ``main`` satisfies ``air`` for the given public inputs.

    ``main``: ``(air.n_main, H)`` integer array, H a power of two in
    ``[min_trace_height(params), 2^22]``; its last ``params.zk_rows`` rows are
    replaced by random values (the caller's array is not modified).
    ``public_values``: a mapping name -> int or a sequence in declaration order.
    ``public_data``: what ``air.compute_preprocessed`` needs (nothing for an AIR whose
    preprocessed columns are all fixed: it is not read). ``public_messages``:
    the verifier's own bus messages (e.g. the journal). ``claim``: public bytes bound
    into the transcript (the machine AIR passes image ID ‖ exit code ‖ journal
    digest); the verifier must be given the same. ``rng``: randomness for the
    zero-knowledge rows, the quotient pads and the FRI mask — ``None`` (the default)
    uses the operating system's secure source; a seeded Generator is for tests only.
    ``check``: run the prover-side checks: the security floor, the LogUp sum against
    the public messages, the quotient's degree and, with ``row_check`` (the default),
    first the row checker, which evaluates every constraint on every row and names the
    first that fails (the only expensive one: about an eighth of a machine proof).
    ``on_event``/``cancel``: progress events (:mod:`engine.events`) and cancellation.
    ``stage0_seed``, ``global_challenges``: for an AIR with stage-0 columns and global
    buses (one proof of a set, :mod:`engine.stark.stage0`): the 32-byte secret that
    fixes the stage-0 columns' random rows (the same as :func:`commit_stage0` was
    given, so the stage-0 root is the one the global challenges were drawn from) and
    those ``(2, 4)`` challenges.

    Raises :class:`ProvingError` (with ``check``) for a witness that does not
    satisfy the AIR or parameters below the verifier's security floor;
    ``ValueError``/``TypeError`` for malformed inputs; ``engine.errors.Cancelled``
    when cancelled.
    """
    use_small_pages()
    reporter = Reporter(on_event, cancel)
    if not isinstance(air, Air):
        raise TypeError("air must be an engine.stark.air.Air")
    if not isinstance(params, ProofParams):
        raise TypeError("params must be a ProofParams")
    trace = _trace(air, main)
    shape = trace_shape(trace.shape[1], params)
    messages = tuple(public_messages)
    transcript, publics = bind_public_inputs(air, params, shape.log_height, public_values,
                                             messages, claim,
                                             transcript_type=_ProverTranscript)
    report = security_report(air, params, shape.height)
    if check and report.bits < MIN_SECURITY_BITS:
        raise ProvingError(f"the parameters give {report.bits:.1f} bits of security at "
                           f"{shape.height} rows, below the verifier's floor of "
                           f"{MIN_SECURITY_BITS}")
    trace[:, shape.real_rows:] = bb_random(rng, (air.n_main, shape.zk_rows))
    if air.n_stage0:
        if not isinstance(stage0_seed, bytes) or len(stage0_seed) != 32:
            raise ValueError("an AIR with stage-0 columns needs a 32-byte stage0_seed")
        trace[:air.n_stage0, shape.real_rows:] = stage0_zk_rows(stage0_seed, air.n_stage0,
                                                                 shape.zk_rows)
    if air.has_global_buses:
        global_challenges = checked_global_challenges(global_challenges)
    elif global_challenges is not None:
        raise ValueError("global challenges given for an AIR without global buses")
    view = trace.view()
    view.flags.writeable = False
    reporter.emit(TraceReady(air.main_names, view))

    prep = air.compute_preprocessed(shape, public_data)
    if check and row_check:
        with reporter.phase("check"):
            _check_witness(air, trace, prep, publics, shape, messages, cancel,
                           _Share(reporter, "check"))

    groups: list[CommittedMatrices] = []
    prep_root = b""
    if air.n_prep:
        with reporter.phase("preprocessed"):
            if air.fixed_preprocessed:
                # The tables' key: committed once per process and height.
                key = keys.proving_key(air, params, shape.log_height)
                prep, prep_commit = key.preprocessed, key.committed
                reporter.emit(Committed("preprocessed", prep_commit.root))
                reporter.progress("preprocessed", 1.0)
            else:
                prep_commit = _commit(prep, params, reporter, "preprocessed",
                                      progress=_Share(reporter, "preprocessed"))
        prep_root = prep_commit.root
        transcript.absorb_digest(LABEL_PREPROCESSED, prep_root)
        groups.append(prep_commit)

    with reporter.phase("commit main"):
        share = _Share(reporter, "commit main")
        main_lde = _extend(trace, params, reporter, progress=share.part(0.0, _EXTEND_SHARE))
        trees = share.part(_EXTEND_SHARE, 1.0)
        if air.n_stage0:
            stage0_share = air.n_stage0 / air.n_main
            stage0_commit = _tree(main_lde[:air.n_stage0], trace.shape[1], params, reporter,
                                  "stage0", progress=trees.part(0.0, stage0_share))
            groups.append(stage0_commit)
            trees = trees.part(stage0_share, 1.0)
        main_commit = _tree(main_lde[air.n_stage0:], trace.shape[1], params, reporter, "main",
                            progress=trees)
        main_lde.flags.writeable = False
    if air.n_stage0 or air.has_global_buses:
        absorb_stage0(transcript, stage0_commit.root if air.n_stage0 else b"",
                      global_challenges if air.has_global_buses
                      else np.zeros((0, 4), dtype=np.uint32))
    transcript.absorb_digest(LABEL_MAIN, main_commit.root)
    groups.append(main_commit)

    aux_commit, aux_root, nonce = None, b"", 0
    challenges = np.zeros((0, 4), dtype=np.uint32)
    logup_sum = np.zeros(0, dtype=np.uint32)
    if air.logup is not None:
        with reporter.phase("logup"):
            nonce, challenges, logup_sum, aux_commit = _prove_logup(
                air, trace, prep, publics, messages, shape, params, transcript, rng, check,
                reporter, global_challenges)
        aux_root = aux_commit.root
        absorb_logup(transcript, aux_root, logup_sum)
        groups.append(aux_commit)
    # From here on only the LDEs are read: let the trace go (1 GB at 2^20 x 250) unless
    # an event listener keeps it.
    del trace, view

    with reporter.phase("quotient"):
        alpha = Ext(*transcript.squeeze_ext(LABEL_ALPHA))
        quotient_commit = _prove_quotient(air, groups, main_lde, aux_commit, publics,
                                          challenges, logup_sum, alpha, shape, params, rng,
                                          check, reporter)
    del main_lde
    transcript.absorb_digest(LABEL_QUOTIENT, quotient_commit.root)
    groups.append(quotient_commit)

    zeta = draw_zeta(transcript)
    points = opening_points(zeta, shape.log_height, len(groups))
    fri_layers = len(fri_shape(shape.log_height + params.log_blowup, params).log_arities)
    transcript.observe(reporter, fri_layers)
    opening, positions = prove_openings(groups, points, params, transcript, rng=rng)
    transcript.finish()
    domain = shape.height << params.log_blowup
    sizes = fri_shape(shape.log_height + params.log_blowup, params).layer_log_sizes()
    reporter.emit(FriLayers(tuple(1 << s for s in sizes)))
    reporter.emit(QueryPositions(positions, domain))
    return Proof(shape.log_height, security_centibits(report), prep_root, main_commit.root,
                 aux_root, nonce, logup_sum, quotient_commit.root, opening,
                 stage0_commit.root if air.n_stage0 else b"")


def commit_stage0(air: Air, stage0: np.ndarray, *, params: ProofParams = DEFAULT_PARAMS,
                  stage0_seed: bytes) -> bytes:
    """The root :func:`prove` will commit the stage-0 columns to, computed alone.

    ``stage0``: ``(air.n_stage0, H)`` (or the whole ``(air.n_main, H)`` trace, whose
    first rows are used); its last ``zk_rows`` rows are replaced by the random rows
    ``stage0_seed`` fixes. This is the first phase of proving a set of proofs linked by
    global buses: every proof's stage-0 root is computed, the global challenges are
    drawn from them all, then each proof is made with :func:`prove` and the same seed.
    """
    if not air.n_stage0:
        raise ValueError(f"AIR {air.name!r} has no stage-0 columns")
    if not isinstance(stage0_seed, bytes) or len(stage0_seed) != 32:
        raise ValueError("stage0_seed must be 32 bytes")
    array = np.asarray(stage0)
    if array.ndim != 2 or array.shape[0] < air.n_stage0:
        raise ValueError(f"stage-0 columns: expected shape ({air.n_stage0}, H), got "
                         f"{array.shape}")
    columns = _trace_rows(array[:air.n_stage0])
    shape = trace_shape(columns.shape[1], params)
    columns[:, shape.real_rows:] = stage0_zk_rows(stage0_seed, air.n_stage0, shape.zk_rows)
    reporter = Reporter(None, None)
    return _tree(_extend(columns, params, reporter), shape.height, params, reporter,
                 "stage0").root


def stage0_zk_rows(seed: bytes, columns: int, zk_rows: int) -> np.ndarray:
    """The random rows of the stage-0 columns, ``(columns, zk_rows)`` uint32: SHA-256
    of the secret ``seed`` in counter mode, 8 bytes per value reduced mod p (bias below
    2^-32), so that both phases of proving commit the same values."""
    count = columns * zk_rows
    blocks = (count * 8 + 31) // 32
    stream = b"".join(hashlib.sha256(b"zkwb/stage0-zk-rows/v1" + seed
                                     + i.to_bytes(8, "little")).digest()
                      for i in range(blocks))
    values = np.frombuffer(stream, dtype="<u8")[:count] % np.uint64(P)
    return values.astype(np.uint32).reshape(columns, zk_rows)


# --- helpers ---------------------------------------------------------------------------

def _trace(air: Air, main: object) -> np.ndarray:
    """A private C-contiguous uint32 copy of ``main``; ``ValueError`` if malformed."""
    array = np.asarray(main)
    if array.ndim != 2 or array.shape[0] != air.n_main:
        raise ValueError(f"main trace: expected shape ({air.n_main}, H), got {array.shape}")
    return _trace_rows(array)


def _trace_rows(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "ui":
        raise ValueError(f"main trace: expected integers, got {array.dtype}")
    if array.size and (int(array.min()) < 0 or int(array.max()) >= P):
        raise ValueError("main trace: values must lie in [0, P)")
    return np.array(array, dtype=np.uint32, order="C", copy=True)


def _check_witness(air, trace, prep, publics, shape, messages, cancel, progress) -> None:
    # The compiled row screen uses the constraint kernel the quotient needs anyway.
    report = check_constraints(air, trace, prep, publics, zk_rows=shape.zk_rows,
                               public_messages=messages, compiled=True, cancel=cancel,
                               progress=progress)
    if not report.ok:
        raise ProvingError(str(report), report)
    terms = total_interactions(air, shape.height, messages)
    if terms >= P:
        raise ProvingError(f"{terms} LogUp terms: LogUp is sound only below p = {P}")


def _prove_logup(air, trace, prep, publics, messages, shape, params, transcript, rng, check,
                 reporter, global_challenges):
    """Grind, draw γ and β, build and commit the aux trace: (nonce, challenges, S, commit)."""
    share = _Share(reporter, "logup")
    nonce = transcript.grind(params.logup_pow_bits)
    challenges = draw_logup_challenges(air, transcript, global_challenges)
    try:
        aux, logup_sum = build_aux_trace(air, trace, prep, publics, challenges,
                                         shape.zk_rows, rng,
                                         progress=share.part(0.0, _AUX_BUILD_SHARE))
    except ValueError as error:
        raise ProvingError(f"cannot build the LogUp trace: {error}") from error
    if check:
        _check_logup_sum(air, messages, challenges, logup_sum)
    reporter.check_cancel()
    return nonce, challenges, logup_sum, _commit(aux, params, reporter, "aux",
                                                 progress=share.part(_AUX_BUILD_SHARE, 1.0))


def _prove_quotient(air, groups, main_lde, aux_commit, publics, challenges, logup_sum, alpha,
                    shape, params, rng, check, reporter) -> CommittedMatrices:
    """Q over the LDE coset, split into randomized chunks of H/2, committed."""
    prep_lde = groups[0].ldes[0] if air.n_prep else None
    values = quotient_values(
        air, main=main_lde, prep=prep_lde, aux=aux_commit.ldes[0] if aux_commit else None,
        shape=shape, log_blowup=params.log_blowup, publics=publics, challenges=challenges,
        aux_publics=logup_sum.reshape(-1, 4), alpha=alpha,
        progress=_Share(reporter, "quotient").part(0.0, _QUOTIENT_VALUES_SHARE))
    bound = quotient_degree(air, shape) if check else None
    try:
        chunks = split_quotient(values, shape.height, chunk_count(air, shape), rng,
                                randomize=params.zk, degree_bound=bound)
    except ValueError as error:
        raise ProvingError(str(error)) from error
    reporter.check_cancel()
    return _commit(chunks, params, reporter, "quotient", coefficients=True,
                   progress=_Share(reporter, "quotient").part(_QUOTIENT_VALUES_SHARE, 1.0))


def _check_logup_sum(air, messages, challenges, logup_sum) -> None:
    total = Ext(*logup_sum[:4].tolist()) + public_interaction_sum(air, messages, challenges)
    if total != Ext.ZERO:
        raise ProvingError("the LogUp sum and the public messages do not cancel: a bus is "
                           "unbalanced")


def _commit(matrix: np.ndarray, params: ProofParams, reporter: Reporter, name: str, *,
            coefficients: bool = False, progress: _Share) -> CommittedMatrices:
    """:func:`engine.stark.pcs.commit` of one matrix, extended a batch of columns at a
    time with a cancel check between batches when the LDE is large (a 100-column
    2^18-row trace takes about a second to extend); ``progress`` is told the fraction
    of the commit done."""
    m, n = matrix.shape
    if m <= _batch_columns(n, params):
        committed = commit([matrix], params, coefficients=coefficients)
        reporter.emit(Committed(name, committed.root))
        progress(1.0)
        return committed
    lde = _extend(matrix, params, reporter, coefficients=coefficients,
                  progress=progress.part(0.0, _EXTEND_SHARE))
    committed = _tree(lde, n, params, reporter, name,
                      progress=progress.part(_EXTEND_SHARE, 1.0))
    lde.flags.writeable = False
    return committed


def _batch_columns(n: int, params: ProofParams) -> int:
    """Columns of ``n`` rows extended per batch: about 0.1 s of work each."""
    return max(1, _LDE_POINTS_PER_BATCH // (n << params.log_blowup))


def _extend(matrix: np.ndarray, params: ProofParams, reporter: Reporter, *,
            coefficients: bool = False,
            progress: Callable[[float], None] | None = None) -> np.ndarray:
    """The LDE of every column of ``matrix`` (evaluations, or coefficients with
    ``coefficients``), a batch of columns at a time with a cancel check between
    batches and ``progress`` told the fraction of the columns done."""
    m, n = matrix.shape
    per_batch = _batch_columns(n, params)
    lde = np.empty((m, n << params.log_blowup), dtype=np.uint32)
    for first in range(0, m, per_batch):
        rows = slice(first, min(m, first + per_batch))
        if coefficients:
            coset_ntt(matrix[rows], GENERATOR, params.log_blowup, out=lde[rows])
        else:
            coset_lde(matrix[rows], params.log_blowup, GENERATOR, out=lde[rows])
        reporter.check_cancel()
        if progress is not None:
            progress(rows.stop / m)
    return lde


def _tree(lde: np.ndarray, n: int, params: ProofParams, reporter: Reporter,
          name: str, progress: Callable[[float], None] | None = None) -> CommittedMatrices:
    """Merkle-commit the rows of an LDE (a block of :func:`_extend`'s rows), in rounds
    of leaves that ``progress`` hears of, and that poll the cancel token, when given."""
    committed = CommittedMatrices(MerkleTree.commit([lde], progress=progress), (lde,),
                                  n.bit_length() - 1, params.log_blowup)
    reporter.emit(Committed(name, committed.root))
    return committed


class _Share:
    """``share(fraction)`` reports the fraction ``fraction`` of one part of a phase as
    the phase's own: the part spans ``start .. end`` of the phase's fraction.
    ``part(a, b)`` is the share spanning ``a .. b`` of this one; consecutive parts
    called in order report a fraction that only grows."""

    def __init__(self, reporter: Reporter, phase: str, start: float = 0.0,
                 end: float = 1.0) -> None:
        self._reporter, self._phase, self._start, self._end = reporter, phase, start, end

    def part(self, start: float, end: float) -> _Share:
        width = self._end - self._start
        return _Share(self._reporter, self._phase, self._start + width * start,
                      self._start + width * end)

    def __call__(self, fraction: float) -> None:
        self._reporter.progress(self._phase,
                                self._start + (self._end - self._start) * fraction)


class _ProverTranscript(Transcript):
    """The prover's transcript. ``prove_openings`` is a proof's last and longest call;
    watching its transcript calls lets the prover report the switch from the DEEP
    openings to FRI (the first FRI layer root), each FRI layer, and poll the cancel
    token there and before the query proof of work."""

    _reporter: Reporter | None = None

    def observe(self, reporter: Reporter, layers: int) -> None:
        """Start phase "open"; FRI has ``layers`` committed layers."""
        self._reporter, self._layers, self._seen = reporter, max(layers, 1), 0
        reporter.emit(PhaseStarted("open"))
        self._started = time.perf_counter()

    def finish(self) -> None:
        """End phase "fri" (after ``prove_openings`` returned)."""
        if self._seen == 0:
            self._switch_to_fri()
        self._reporter.progress("fri", 1.0)
        self._reporter.emit(PhaseFinished("fri", time.perf_counter() - self._started))
        self._reporter = None

    def absorb_digest(self, label: bytes, digest: bytes) -> None:
        if self._reporter is not None and label == b"pcs-mask":
            self._reporter.progress("open", 0.5)
        if self._reporter is not None and label == b"fri-layer":
            if self._seen == 0:
                self._switch_to_fri()
            self._seen += 1
            self._reporter.progress("fri", self._seen / (self._layers + 1))
        super().absorb_digest(label, digest)

    def grind(self, bits: int) -> int:
        if self._reporter is not None:
            self._reporter.check_cancel()
        return super().grind(bits)

    def _switch_to_fri(self) -> None:
        self._reporter.progress("open", 1.0)
        now = time.perf_counter()
        self._reporter.emit(PhaseFinished("open", now - self._started))
        self._reporter.emit(PhaseStarted("fri"))
        self._started = now
