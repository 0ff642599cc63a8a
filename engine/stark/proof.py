"""A STARK proof as plain data, and its byte encoding (the seal of a receipt).

:class:`Proof` holds ints, bytes and uint32/uint8 arrays, plus the
:class:`engine.stark.pcs.PcsProof` of the openings. :func:`encode_proof` writes it
with :class:`engine.codec.Writer`; :func:`decode_proof` reads untrusted bytes back
with :class:`engine.codec.Reader`: every count is capped by :class:`ProofLimits` and
checked against the bytes that remain before anything is allocated, field elements
must be canonical (``< p``), flags and padding must be exact, trailing bytes are
rejected, and anything malformed raises :class:`engine.codec.DecodeError`. Decoding
checks the *form* only; whether the shapes fit the AIR, the parameters and the
height is the verifier's business (it never raises either).

The byte layout, field by field, is in ``docs/stark.md`` ("Proof encoding").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.codec import DecodeError, Reader, Writer
from engine.field.babybear import P
from engine.stark.fri import FriProof, OpenedRows
from engine.stark.pcs import PcsProof

__all__ = ["PROOF_MAGIC", "PROOF_VERSION", "Proof", "ProofLimits", "decode_proof",
           "encode_proof"]

#: First bytes of an encoded proof.
PROOF_MAGIC = b"ZKWP"
#: Version of the encoding (not of the protocol, which the transcript tag names).
PROOF_VERSION = 1

_HAS_PREPROCESSED = 0x01
_HAS_LOGUP = 0x02
_HAS_STAGE0 = 0x04
_HAS_GLOBAL_SUM = 0x08
_DIGEST = 32


@dataclass(frozen=True, eq=False)
class Proof:
    """A proof that a trace satisfies an AIR (see ``docs/stark.md``).

    ``log_height``: log2 of the trace height H. ``security_centibits``: the
    conjectured security the prover computed, in hundredths of a bit (rounded down);
    the verifier recomputes it. ``preprocessed_root``: the 32-byte root of the
    preprocessed columns (``b""`` when the AIR has none; the verifier recomputes it).
    ``main_root``: the main trace's root. ``aux_root``, ``logup_pow_nonce``,
    ``logup_sum``: the LogUp aux trace's root, the proof of work ground before its
    challenges and the (4,) uint32 sum ``S`` (``b""``, 0 and a (0,) array without
    LogUp). ``quotient_root``: the randomized quotient chunks' root. ``opening``:
    the openings of (preprocessed, main, aux, quotient) — the groups the AIR has —
    at ζ (and ζ·ω) with the FRI proof. ``stage0_root``: the root of the stage-0 main
    columns (``b""`` when the AIR has none); with global buses ``logup_sum`` is (8,):
    ``S`` then the proof's share ``S_g`` of the global buses' sum.
    """

    log_height: int
    security_centibits: int
    preprocessed_root: bytes
    main_root: bytes
    aux_root: bytes
    logup_pow_nonce: int
    logup_sum: np.ndarray
    quotient_root: bytes
    opening: PcsProof
    stage0_root: bytes = b""

    @property
    def height(self) -> int:
        return 1 << self.log_height

    @property
    def security_bits(self) -> float:
        """The conjectured security the proof states, in bits."""
        return self.security_centibits / 100


@dataclass(frozen=True)
class ProofLimits:
    """Caps :func:`decode_proof` enforces before allocating (generous for real proofs).

    ``max_bytes``: the whole encoding. ``max_groups``: committed groups opened
    together. ``max_points``: opening points per group. ``max_columns``: columns of
    one group or matrix. ``max_rows``: distinct rows opened per commitment (at most
    the number of queries). ``max_nodes``: Merkle nodes per opening.
    ``max_fri_layers``, ``max_final_len``: FRI's committed layers and final
    polynomial length.
    """

    max_bytes: int = 32 << 20
    max_groups: int = 8
    max_points: int = 4
    max_columns: int = 1 << 16
    max_rows: int = 1000
    max_nodes: int = 1 << 16
    max_fri_layers: int = 32
    max_final_len: int = 1024


def encode_proof(proof: Proof) -> bytes:
    """The bytes of ``proof`` (layout in ``docs/stark.md``). Raises ``TypeError``
    for something else than a :class:`Proof`, ``ValueError`` for a proof whose fields
    do not have the documented types and shapes."""
    if not isinstance(proof, Proof):
        raise TypeError("encode_proof needs a Proof")
    w = Writer()
    w.raw(PROOF_MAGIC)
    w.u8(PROOF_VERSION)
    w.u8(proof.log_height)
    w.u32(proof.security_centibits)
    has_logup = bool(proof.aux_root)
    sums = np.asarray(proof.logup_sum).size // 4
    flags = ((_HAS_PREPROCESSED if proof.preprocessed_root else 0)
             | (_HAS_LOGUP if has_logup else 0) | (_HAS_STAGE0 if proof.stage0_root else 0)
             | (_HAS_GLOBAL_SUM if has_logup and sums == 2 else 0))
    w.u8(flags)
    if proof.preprocessed_root:
        _digest(w, proof.preprocessed_root)
    if proof.stage0_root:
        _digest(w, proof.stage0_root)
    _digest(w, proof.main_root)
    if has_logup:
        _digest(w, proof.aux_root)
        w.u64(proof.logup_pow_nonce)
        _u32s(w, proof.logup_sum, (4 * max(sums, 1),))
    elif proof.logup_pow_nonce or np.asarray(proof.logup_sum).size:
        raise ValueError("a proof without an aux root carries no LogUp nonce or sum")
    _digest(w, proof.quotient_root)
    _write_pcs(w, proof.opening)
    return w.getvalue()


def decode_proof(data: bytes, limits: ProofLimits = ProofLimits()) -> Proof:
    """Read a proof from untrusted bytes. Raises :class:`engine.codec.DecodeError`
    for anything but a well-formed encoding within ``limits``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("a proof is bytes")
    if len(data) > limits.max_bytes:
        raise DecodeError(f"proof is {len(data)} bytes, more than the limit {limits.max_bytes}")
    r = Reader(data, "proof")
    if r.raw(len(PROOF_MAGIC), "magic") != PROOF_MAGIC:
        raise DecodeError("not a zkwb proof (bad magic bytes)")
    version = r.u8("version")
    if version != PROOF_VERSION:
        raise DecodeError(f"proof encoding version {version} is not supported "
                          f"(this build reads {PROOF_VERSION})")
    log_height = r.u8("log_height")
    if log_height > 27:
        raise DecodeError(f"proof: log_height {log_height} exceeds 27")
    centibits = r.u32("security")
    flags = r.u8("flags")
    if flags & ~(_HAS_PREPROCESSED | _HAS_LOGUP | _HAS_STAGE0 | _HAS_GLOBAL_SUM):
        raise DecodeError(f"proof: unknown flags 0x{flags:02x}")
    if flags & _HAS_GLOBAL_SUM and not flags & _HAS_LOGUP:
        raise DecodeError("proof: a global LogUp sum without LogUp")
    prep_root = r.raw(_DIGEST, "preprocessed root") if flags & _HAS_PREPROCESSED else b""
    stage0_root = r.raw(_DIGEST, "stage-0 root") if flags & _HAS_STAGE0 else b""
    main_root = r.raw(_DIGEST, "main root")
    aux_root, nonce, logup_sum = b"", 0, np.zeros(0, dtype=np.uint32)
    if flags & _HAS_LOGUP:
        aux_root = r.raw(_DIGEST, "aux root")
        nonce = r.u64("LogUp proof-of-work nonce")
        width = 8 if flags & _HAS_GLOBAL_SUM else 4
        logup_sum = r.u32_array("LogUp sum", width, expect=width, below=P)
    quotient_root = r.raw(_DIGEST, "quotient root")
    opening = _read_pcs(r, limits)
    r.finish()
    return Proof(log_height, centibits, prep_root, main_root, aux_root, nonce, logup_sum,
                 quotient_root, opening, stage0_root)


# --- writing -----------------------------------------------------------------------------

def _digest(w: Writer, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != _DIGEST:
        raise ValueError("a root is 32 bytes")
    w.raw(value)


def _u32s(w: Writer, values: np.ndarray, shape: tuple[int, ...]) -> None:
    if (not isinstance(values, np.ndarray) or values.dtype != np.uint32
            or values.shape != shape):
        raise ValueError(f"expected a {shape} uint32 array")
    w.u32_array(values)


def _write_pcs(w: Writer, pcs: PcsProof) -> None:
    w.u8(len(pcs.opened_values))
    for values in pcs.opened_values:
        if not isinstance(values, np.ndarray) or values.ndim != 3:
            raise ValueError("opened values are (points, width, 4) arrays")
        w.u8(values.shape[0])
        w.u32(values.shape[1])
        _u32s(w, values, (values.shape[0], values.shape[1], 4))
    w.u8(1 if pcs.mask_root else 0)
    if pcs.mask_root:
        _digest(w, pcs.mask_root)
    w.u8(len(pcs.query_openings))
    for opening in pcs.query_openings:
        _write_rows(w, opening)
    fri = pcs.fri
    w.u8(len(fri.layer_roots))
    for root in fri.layer_roots:
        _digest(w, root)
    if len(fri.layer_openings) != len(fri.layer_roots):
        raise ValueError("one FRI opening per layer root")
    for opening in fri.layer_openings:
        _write_rows(w, opening)
    w.u32(fri.final_poly.shape[0])
    _u32s(w, fri.final_poly, (fri.final_poly.shape[0], 4))
    w.u64(fri.pow_nonce)


def _write_rows(w: Writer, opening: OpenedRows) -> None:
    w.u8(len(opening.values))
    rows = opening.values[0].shape[0] if opening.values else 0
    w.u32(rows)
    for values in opening.values:
        if values.ndim != 2 or values.shape[0] != rows:
            raise ValueError("opened rows are (k, width) arrays with one k")
        w.u32(values.shape[1])
        _u32s(w, values, values.shape)
    nodes = opening.nodes
    if nodes.dtype != np.uint8 or nodes.ndim != 2 or nodes.shape[1] != _DIGEST:
        raise ValueError("Merkle nodes are an (n, 32) uint8 array")
    w.u32(nodes.shape[0])
    w.raw(nodes.tobytes())


# --- reading -----------------------------------------------------------------------------

def _count(r: Reader, field: str, low: int, high: int, wide: bool = False) -> int:
    value = r.u32(field) if wide else r.u8(field)
    if not low <= value <= high:
        raise DecodeError(f"proof: {field} is {value}, outside [{low}, {high}]")
    return value


def _read_pcs(r: Reader, limits: ProofLimits) -> PcsProof:
    groups = _count(r, "opened groups", 1, limits.max_groups)
    opened = []
    for g in range(groups):
        points = _count(r, f"points of group {g}", 1, limits.max_points)
        width = _count(r, f"columns of group {g}", 1, limits.max_columns, wide=True)
        values = r.u32_array(f"opened values of group {g}", points * width * 4,
                             expect=points * width * 4, below=P)
        opened.append(values.reshape(points, width, 4))
    has_mask = _count(r, "mask flag", 0, 1)
    mask_root = r.raw(_DIGEST, "mask root") if has_mask else b""
    n_openings = _count(r, "query openings", 1, limits.max_groups + 1)
    openings = tuple(_read_rows(r, limits, f"query opening {i}") for i in range(n_openings))
    layers = _count(r, "FRI layers", 0, limits.max_fri_layers)
    roots = tuple(r.raw(_DIGEST, f"FRI layer {i} root") for i in range(layers))
    layer_openings = tuple(_read_rows(r, limits, f"FRI layer {i} opening")
                           for i in range(layers))
    final_len = _count(r, "FRI final polynomial length", 1, limits.max_final_len, wide=True)
    final = r.u32_array("FRI final polynomial", 4 * final_len, expect=4 * final_len, below=P)
    nonce = r.u64("FRI proof-of-work nonce")
    fri = FriProof(roots, layer_openings, final.reshape(final_len, 4), nonce)
    return PcsProof(tuple(opened), mask_root, openings, fri)


def _read_rows(r: Reader, limits: ProofLimits, what: str) -> OpenedRows:
    matrices = _count(r, f"matrices of {what}", 1, limits.max_groups)
    rows = _count(r, f"rows of {what}", 1, limits.max_rows, wide=True)
    values = []
    for m in range(matrices):
        width = _count(r, f"width of {what}, matrix {m}", 1, limits.max_columns, wide=True)
        flat = r.u32_array(f"values of {what}, matrix {m}", rows * width,
                           expect=rows * width, below=P)
        values.append(flat.reshape(rows, width))
    n_nodes = _count(r, f"Merkle nodes of {what}", 0, limits.max_nodes, wide=True)
    raw = r.raw(_DIGEST * n_nodes, f"Merkle nodes of {what}")
    nodes = np.frombuffer(raw, dtype=np.uint8).reshape(n_nodes, _DIGEST).copy()
    return OpenedRows(tuple(values), nodes)
