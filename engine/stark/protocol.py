"""The STARK protocol's shared schedule: what the prover and the verifier both compute.

Both sides call these functions in the same order (``docs/stark.md`` lists the whole
transcript), so the schedule lives here once:

* :func:`bind_public_inputs` checks the public inputs and :func:`start_transcript`
  binds them before the first commitment: the parameters, the AIR's identity
  (:func:`air_digest`), log2 of the trace height, the public values, the caller's
  claim bytes and the public bus messages (:func:`public_messages_digest`);
* :func:`draw_logup_challenges` draws LogUp's γ and β after the main commitment and
  :func:`absorb_logup` binds the aux root and the LogUp sum S;
* :func:`draw_zeta` draws the out-of-domain point, outside the base field (so
  outside the trace domain and the LDE coset), and :func:`opening_points` says where
  each commitment is opened;
* :func:`security_report` is the conjectured security of proving this AIR at this
  height, and :func:`security_centibits` the number a proof carries;
* :func:`min_trace_height` / :func:`trace_height_for` / :func:`trace_shape` fix
  which heights a proof may have and where the random (zero-knowledge) rows sit.

Transcript labels are the ``LABEL_*`` constants below.
"""
from __future__ import annotations

import hashlib
import math
import weakref
from collections.abc import Mapping, Sequence

import numpy as np

from engine.errors import TraceLimitExceeded
from engine.field.babybear import P, two_adic_generator
from engine.field.ext4 import DEGREE as EXT_DEGREE
from engine.field.scalar import Ext
from engine.stark import symbolic
from engine.stark.air import Air, TraceShape
from engine.stark.eval_inputs import as_base_vector
from engine.stark.fri import fri_shape
from engine.stark.logup_trace import PublicMessages
from engine.stark.params import ZK_SPARE_ROWS, ProofParams
from engine.stark.security import SecurityReport, conjectured_security_bits
from engine.stark.transcript import Transcript

__all__ = ["MAX_LOG_HEIGHT", "MIN_LOG_HEIGHT", "PROTOCOL_TAG", "absorb_logup", "absorb_stage0",
           "air_digest", "bind_public_inputs", "checked_global_challenges",
           "draw_logup_challenges", "draw_zeta", "min_trace_height",
           "opening_points", "public_messages_digest", "public_values_vector",
           "security_centibits", "security_report", "start_transcript", "trace_height_for",
           "trace_shape"]

#: The transcript's protocol tag: a new protocol version gets a new tag.
PROTOCOL_TAG = b"zkwb-stark-v1"

#: Smallest trace, 2^10 rows: below it FRI would reveal more values of the DEEP
#: codeword than its mask has coefficients (``docs/zero-knowledge.md``). More queries
#: can raise the floor further (:func:`min_trace_height`).
MIN_LOG_HEIGHT = 10

#: Largest trace, 2^22 rows: the verifier refuses bigger claims before recomputing
#: anything of that size (the security estimate already falls under 100 bits above
#: 2^20 rows, ``docs/security.md``).
MAX_LOG_HEIGHT = 22

LABEL_PARAMS = b"params"
LABEL_AIR_NAME = b"air-name"
LABEL_AIR = b"air"
LABEL_LOG_HEIGHT = b"log-height"
LABEL_PUBLIC_VALUES = b"public-values"
LABEL_CLAIM = b"claim"
LABEL_PUBLIC_MESSAGES = b"public-messages"
LABEL_PREPROCESSED = b"preprocessed"
LABEL_STAGE0 = b"stage0"
LABEL_GLOBAL_CHALLENGES = b"global-challenges"
LABEL_MAIN = b"main"
LABEL_LOGUP_CHALLENGE = b"logup-challenge"
LABEL_AUX = b"aux"
LABEL_LOGUP_SUM = b"logup-sum"
LABEL_ALPHA = b"alpha"
LABEL_QUOTIENT = b"quotient"
LABEL_ZETA = b"zeta"

_AIR_DIGEST_TAG = b"zkwb-air-v1"
_MESSAGES_DIGEST_TAG = b"zkwb-public-messages-v1"
_air_digests: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def bind_public_inputs(air: Air, params: ProofParams, log_height: int, public_values,
                       public_messages: Sequence[PublicMessages], claim: bytes, *,
                       transcript_type: type[Transcript] = Transcript
                       ) -> tuple[Transcript, np.ndarray]:
    """Check the public inputs and start the transcript with them: ``(transcript, publics)``.

    ``public_values``: what :func:`public_values_vector` takes; ``publics``: the
    ``(n_public,)`` uint32 vector it returns. ``public_messages``: the verifier's own
    bus messages, in order; ``claim``: the caller's public bytes. Raises what
    :func:`public_values_vector` and :func:`public_messages_digest` raise, and
    ``TypeError`` for a claim that is not bytes.
    """
    publics = public_values_vector(air, public_values)
    messages_digest = public_messages_digest(air, public_messages)
    if not isinstance(claim, (bytes, bytearray, memoryview)):
        raise TypeError("claim must be bytes")
    transcript = start_transcript(air, params, log_height, publics, bytes(claim),
                                  messages_digest, transcript_type=transcript_type)
    return transcript, publics


def start_transcript(air: Air, params: ProofParams, log_height: int, publics: np.ndarray,
                     claim: bytes, messages_digest: bytes, *,
                     transcript_type: type[Transcript] = Transcript) -> Transcript:
    """A fresh transcript that has absorbed every public input, in protocol order.

    ``publics``: the ``(n_public,)`` uint32 vector (:func:`public_values_vector`);
    ``claim``: the caller's public bytes; ``messages_digest``: from
    :func:`public_messages_digest`. ``transcript_type``: a :class:`Transcript`
    subclass (the prover's observes FRI's progress).
    """
    transcript = transcript_type(PROTOCOL_TAG)
    transcript.absorb_u32s(LABEL_PARAMS, params.to_words())
    transcript.absorb_bytes(LABEL_AIR_NAME, air.name.encode())
    transcript.absorb_digest(LABEL_AIR, air_digest(air))
    transcript.absorb_u32s(LABEL_LOG_HEIGHT, np.array([log_height], dtype=np.uint32))
    transcript.absorb_u32s(LABEL_PUBLIC_VALUES, publics)
    transcript.absorb_bytes(LABEL_CLAIM, claim)
    transcript.absorb_digest(LABEL_PUBLIC_MESSAGES, messages_digest)
    return transcript


def draw_logup_challenges(air: Air, transcript: Transcript,
                          global_challenges: np.ndarray | None = None) -> np.ndarray:
    """LogUp's challenges (γ, β), drawn after the main commitment, followed by the
    caller's global ones (γ_g, β_g) when the AIR has global buses: ``(n, 4)`` uint32
    extension elements in ``air.challenge_names`` order."""
    local = np.array([transcript.squeeze_ext(LABEL_LOGUP_CHALLENGE) for _ in range(2)],
                     dtype=np.uint32)
    if not air.has_global_buses:
        return local
    return np.concatenate([local, checked_global_challenges(global_challenges)])


def checked_global_challenges(value) -> np.ndarray:
    """``value`` as the ``(2, 4)`` uint32 global challenges; ``ValueError`` otherwise."""
    if value is None:
        raise ValueError("this AIR has global buses: the global challenges are needed")
    array = np.asarray(value)
    if array.shape != (2, 4) or array.dtype.kind not in "ui" or array.min() < 0 \
            or array.max() >= P:
        raise ValueError("the global challenges must be two canonical extension elements")
    return array.astype(np.uint32)


def absorb_stage0(transcript: Transcript, stage0_root: bytes,
                  global_challenges: np.ndarray) -> None:
    """Bind the stage-0 root and the global challenges drawn after every stage-0
    commitment of the set (before the preprocessed and main roots)."""
    transcript.absorb_digest(LABEL_STAGE0, stage0_root)
    transcript.absorb_u32s(LABEL_GLOBAL_CHALLENGES, global_challenges.reshape(-1))


def absorb_logup(transcript: Transcript, aux_root: bytes, logup_sum: np.ndarray) -> None:
    """Bind the aux trace's root (32 bytes) and the LogUp sum S (``(4,)`` uint32)."""
    transcript.absorb_digest(LABEL_AUX, aux_root)
    transcript.absorb_u32s(LABEL_LOGUP_SUM, logup_sum)


def draw_zeta(transcript: Transcript) -> Ext:
    """The out-of-domain point ζ: squeezed until it lies outside the base field.

    The trace domain and the LDE coset lie in the base field, so ζ avoids both (and
    so does ζ·ω); a base-field draw has probability p/p^4 = 2^-93, and redrawing it
    is deterministic, so prover and verifier agree.
    """
    while True:
        zeta = Ext(*transcript.squeeze_ext(LABEL_ZETA))
        if not zeta.is_base():
            return zeta


def opening_points(zeta: Ext, log_height: int, commitments: int) -> list[list[Ext]]:
    """Where each of ``commitments`` groups is opened, in commitment order: every trace
    group at ζ and ζ·ω (a constraint reads the next row), the quotient chunks (the
    last group) at ζ only."""
    zeta_next = zeta * two_adic_generator(log_height)
    return [[zeta, zeta_next]] * (commitments - 1) + [[zeta]]


def air_digest(air: Air) -> bytes:
    """SHA-256 of a canonical description of ``air``'s declaration (32 bytes).

    It covers the name, the maximum degree, every column, public value, challenge
    and aux-public name, the constraint DAG node by node (operation, leaf data,
    operand indices, in :func:`engine.stark.symbolic.topological_order`), every
    constraint (name, selector, phase, expression), bus and interaction, and the
    LogUp batching. Two AIRs that differ in anything a proof depends on get
    different digests; the same declaration built in another process gets the same.
    The preprocessed columns' *functions* are not covered: their values are bound by
    the preprocessed commitment, which the verifier recomputes from public data.
    """
    cached = _air_digests.get(air)
    if cached is not None:
        return cached
    out = _Canonical(_AIR_DIGEST_TAG)
    out.text(air.name)
    out.integer(air.max_degree)
    for names in (air.main_names, air.prep_names, air.public_names, air.aux_names,
                  air.challenge_names, air.aux_public_names):
        out.integer(len(names))
        for name in names:
            out.text(name)
    roots = [c.expr for c in air.constraints]
    for inter in air.interactions:
        roots += list(inter.values) + [inter.mult] + ([inter.flag] if inter.flag is not None else [])
    order = symbolic.topological_order(roots)
    index = {node.uid: i for i, node in enumerate(order)}
    out.integer(len(order))
    for node in order:
        out.text(node.op)
        out.text(repr(node.data))
        out.integer(len(node.args))
        for arg in node.args:
            out.integer(index[arg.uid])
    out.integer(len(air.constraints))
    for c in air.constraints:
        out.text(c.name)
        out.integer(int(c.when))
        out.text(c.phase)
        out.integer(index[c.expr.uid])
    out.integer(len(air.buses))
    for bus in air.buses:
        out.text(bus.name)
        out.integer(bus.id)
        out.integer(bus.width)
        if bus.is_global:
            out.text("global")
    out.integer(len(air.interactions))
    for inter in air.interactions:
        out.text(inter.name)
        out.integer(inter.bus.id)
        out.integer(int(inter.is_send))
        out.text(inter.group or "")
        out.integer(len(inter.values))
        for v in inter.values:
            out.integer(index[v.uid])
        out.integer(index[inter.mult.uid])
        out.integer(index[inter.flag.uid] if inter.flag is not None else -1)
    out.text(repr(air.logup.batches) if air.logup else "")
    if air.n_stage0:
        out.text(f"stage0 {air.n_stage0}")
    digest = out.digest()
    _air_digests[air] = digest
    return digest


def public_values_vector(air: Air, values) -> np.ndarray:
    """The public values as ``(n_public,)`` uint32 in declaration order.

    ``values``: a mapping name -> int, or a sequence/array in declaration order.
    Raises ``ValueError`` (``KeyError`` for a mapping with missing or unknown names)
    for the wrong count or a value outside ``[0, P)``.
    """
    if isinstance(values, Mapping):
        return air.publics_vector(values)
    if isinstance(values, np.ndarray) and values.dtype.kind not in "ui":
        raise ValueError("public values must be integers")
    return as_base_vector(values, len(air.public_names), "public values")


def public_messages_digest(air: Air, messages: Sequence[PublicMessages]) -> bytes:
    """SHA-256 of the public bus messages, in the order given (32 bytes).

    Per group: the bus name, the count and width, the values (u32 little-endian) and
    the signed multiplicities (i64 little-endian). Raises ``TypeError`` for something
    else than :class:`PublicMessages`, ``ValueError`` for a bus the AIR does not have, a wrong width, a value outside ``[0, P)`` or a multiplicity
    of absolute value ``>= P``.
    """
    out = _Canonical(_MESSAGES_DIGEST_TAG)
    out.integer(len(messages))
    for group in messages:
        values, mults, bus = _checked_messages(air, group)
        out.text(bus.name)
        out.integer(values.shape[0])
        out.integer(bus.width)
        out.raw(values.astype("<u4").tobytes())
        out.raw(mults.astype("<i8").tobytes())
    return out.digest()


def security_report(air: Air, params: ProofParams, height: int) -> SecurityReport:
    """Conjectured security of proving ``air`` at ``height`` rows with ``params``."""
    return conjectured_security_bits(
        params, height,
        num_constraints=max(1, len(air.constraints)),
        max_constraint_degree=max(1, air.degree),
        num_interactions=len(air.interactions),
        max_message_width=max((bus.width for bus in air.buses), default=0))


def security_centibits(report: SecurityReport) -> int:
    """The security a proof carries: hundredths of a bit, rounded down."""
    return math.floor(report.bits * 100)


def min_trace_height(params: ProofParams) -> int:
    """The smallest trace height a proof may have with ``params`` (at least 2^10).

    With zero knowledge the height must also leave: more coefficients in FRI's
    mask than values FRI reveals of the masked codeword; more coefficients in each
    quotient pad ``s_i`` (``H/2``) than points its chunks are opened at; and at
    least half the rows real. ``docs/zero-knowledge.md`` explains each.
    """
    for log_height in range(MIN_LOG_HEIGHT, MAX_LOG_HEIGHT + 1):
        height = 1 << log_height
        if not params.zk:
            return height
        shape = fri_shape(log_height + params.log_blowup, params)
        revealed = (params.num_queries * (sum(1 << a for a in shape.log_arities) + 1)
                    + (1 << shape.log_final_len))
        # A pad's base column is opened at the queries and at ζ (4 coordinates).
        pad_points = params.num_queries + EXT_DEGREE + ZK_SPARE_ROWS
        if revealed < height and pad_points < height // 2 and params.zk_rows <= height // 2:
            return height
    raise ValueError(f"no supported trace height gives zero knowledge with {params}")


def trace_height_for(real_rows: int, params: ProofParams) -> int:
    """The smallest allowed height with at least ``real_rows`` rows before the
    ``params.zk_rows`` random ones. Raises ``TraceLimitExceeded`` beyond 2^22 rows."""
    if real_rows < 0:
        raise ValueError("the number of rows cannot be negative")
    height = min_trace_height(params)
    while height - params.zk_rows < real_rows:
        height *= 2
    if height > 1 << MAX_LOG_HEIGHT:
        raise TraceLimitExceeded(f"{real_rows} rows need a trace of {height} rows; at most "
                                 f"2^{MAX_LOG_HEIGHT} are supported")
    return height


def trace_shape(height: int, params: ProofParams) -> TraceShape:
    """The shape of a proof's trace: ``height`` rows, the last ``params.zk_rows``
    random. Raises ``ValueError`` for a height that is not a power of two within
    ``[min_trace_height(params), 2^MAX_LOG_HEIGHT]``."""
    if type(height) is not int or height < 1 or height & (height - 1):
        raise ValueError(f"the trace height must be a power of two, not {height!r}")
    low = min_trace_height(params)
    if not low <= height <= 1 << MAX_LOG_HEIGHT:
        raise ValueError(f"the trace height must lie in [{low}, 2^{MAX_LOG_HEIGHT}] "
                         f"(zero knowledge needs at least {low} rows), not {height}")
    return TraceShape(height, params.zk_rows)


# --- helpers ---------------------------------------------------------------------------

def _checked_messages(air: Air, group: object):
    if not isinstance(group, PublicMessages):
        raise TypeError("public messages must be PublicMessages")
    try:
        bus = air.bus(group.bus)
    except KeyError:
        raise ValueError(f"public messages for unknown bus {group.bus!r}") from None
    values = np.asarray(group.values)
    mults = np.asarray(group.multiplicities)
    if values.ndim != 2 or values.shape[1] != bus.width or values.dtype.kind not in "ui":
        raise ValueError(f"bus {bus.name!r} carries {bus.width} integers per message; got "
                         f"values of shape {values.shape} ({values.dtype})")
    if mults.shape != (values.shape[0],) or mults.dtype.kind not in "ui":
        raise ValueError(f"bus {bus.name!r}: one integer multiplicity per message needed")
    if values.size and (values.min() < 0 or values.max() >= P):
        raise ValueError(f"bus {bus.name!r}: message values must lie in [0, P)")
    if mults.size and (int(mults.max()) >= P or int(mults.min()) <= -P):
        raise ValueError(f"bus {bus.name!r}: multiplicities must lie in (-P, P)")
    return values.astype(np.int64), mults.astype(np.int64), bus


class _Canonical:
    """SHA-256 over length-prefixed items (injective: no two sequences collide)."""

    def __init__(self, tag: bytes) -> None:
        self._hash = hashlib.sha256()
        self.raw(tag)

    def raw(self, data: bytes) -> None:
        self._hash.update(len(data).to_bytes(8, "little"))
        self._hash.update(data)

    def text(self, value: str) -> None:
        self.raw(value.encode())

    def integer(self, value: int) -> None:
        self.raw(int(value).to_bytes(8, "little", signed=True))

    def digest(self) -> bytes:
        return self._hash.digest()
