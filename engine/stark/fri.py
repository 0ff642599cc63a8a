"""FRI over the quartic extension: prove and verify that a codeword has low degree.

The codeword is an (N, 4) uint32 array of extension values over the coset
``g·H_N`` (``g = 31``, natural order: entry ``j`` at ``g·ω_N^j``), the same order the
LDE uses. The claim is ``deg < N / blowup``. Folding is described in
:mod:`engine.stark.fri_fold`; the protocol, byte for byte:

**Commit phase.** For each round (see :func:`fri_shape`): the current codeword of
size ``N_k`` with arity ``a`` is cut into ``M = N_k / a`` Merkle leaves, leaf ``j``
holding entries ``j, j + M, ..., j + (a−1)·M`` (the ``a`` values that fold together),
each as 4 little-endian u32, so one opening per query serves a whole fold. The root
is absorbed (``b"fri-layer"``), the challenge ``β`` squeezed (``b"fri-beta"``), and the
codeword folded to size ``M``. Folding stops once the degree bound is
``2^log_final_len``; the last round may use a smaller arity to land exactly there.

**Final polynomial.** Its ``2^log_final_len`` extension coefficients (low degree
first) are sent in the clear and absorbed (``b"fri-final"``).

**Query phase.** The prover grinds ``query_pow_bits`` of proof of work, then
``num_queries`` positions in ``[0, N)`` are squeezed (``b"fri-queries"``). A
position ``q`` touches leaf ``q mod M_0`` of layer 0, lies in that leaf at slot
``q div M_0``, and folds to position ``q mod M_0`` of layer 1, and so on down: the
positions of every layer are the low bits of ``q``. Each layer opens its distinct
touched leaves in ascending order with one deduplicated Merkle multi-opening.

**Verification** replays the transcript, asks the caller for the input codeword's
values at the positions (the PCS computes them from its own openings), then checks
per query that each layer's leaf holds the value expected from the fold below and
that the last fold equals the final polynomial at its point. It never raises on a
malformed proof: every problem becomes a reason string.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.field.babybear import GENERATOR, TWO_ADICITY, P, two_adic_generator
from engine.field.ext4 import as_ext_array
from engine.field.scalar import Ext
from engine.hash.merkle import MerkleTree, merkle_verify
from engine.poly.ntt import base_columns_to_ext, coset_intt, ext_to_base_columns
from engine.stark import ext_arrays
from engine.stark.fri_fold import fold_codeword, fold_leaves
from engine.stark.params import ProofParams
from engine.stark.transcript import Transcript

__all__ = ["FriProof", "FriShape", "FriVerdict", "OpenedRows", "fri_shape", "prove_fri",
           "verify_fri"]


@dataclass(frozen=True)
class OpenedRows:
    """Rows of one Merkle commitment opened at the query positions.

    ``values``: one (k, width_m) uint32 array per committed matrix, row ``i`` being
    the ``i``-th smallest distinct opened row. ``nodes``: (n, 32) uint8
    authentication nodes in :mod:`engine.hash.merkle` order.
    """

    values: tuple[np.ndarray, ...]
    nodes: np.ndarray


@dataclass(frozen=True)
class FriProof:
    """A FRI proof (plain data).

    ``layer_roots``: 32-byte Merkle root of each committed layer. ``layer_openings``:
    per layer, the opened leaves as ``OpenedRows`` with one (k, 4·arity) matrix (a
    leaf's ``arity`` extension values, 4 u32 each). ``final_poly``: (2^log_final_len, 4)
    uint32 coefficients, low degree first. ``pow_nonce``: the query proof of work.
    """

    layer_roots: tuple[bytes, ...]
    layer_openings: tuple[OpenedRows, ...]
    final_poly: np.ndarray
    pow_nonce: int


@dataclass(frozen=True)
class FriShape:
    """The folding schedule for an input of ``2^log_domain`` points.

    ``log_arities``: log2 of the arity of each committed layer, in order.
    ``log_final_len``: log2 of the number of final-polynomial coefficients.
    """

    log_domain: int
    log_arities: tuple[int, ...]
    log_final_len: int

    def layer_log_sizes(self) -> list[int]:
        """log2 of each committed layer's codeword size, then of the final codeword."""
        sizes = [self.log_domain]
        for log_arity in self.log_arities:
            sizes.append(sizes[-1] - log_arity)
        return sizes


@dataclass(frozen=True)
class FriVerdict:
    """Outcome of :func:`verify_fri`. ``reason`` is None when the proof is accepted.

    ``query_indices``: (num_queries,) int64 positions once drawn, else None.
    ``query_passed``: (num_queries,) bool, each query's own checks, once they ran.
    """

    reason: str | None
    query_indices: np.ndarray | None = None
    query_passed: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def fri_shape(log_domain: int, params: ProofParams) -> FriShape:
    """The folding schedule for a codeword of ``2^log_domain`` points.

    Raises ``ValueError`` unless ``log_blowup <= log_domain <= 27``.
    """
    if type(log_domain) is not int or not params.log_blowup <= log_domain <= TWO_ADICITY:
        raise ValueError(f"a FRI domain of 2^{log_domain} points is out of range")
    log_degree = log_domain - params.log_blowup
    rounds = max(0, log_degree - params.fri_log_final_len)
    full, rest = divmod(rounds, params.fri_log_arity)
    log_arities = (params.fri_log_arity,) * full + ((rest,) if rest else ())
    return FriShape(log_domain, log_arities, log_degree - rounds)


def prove_fri(codeword: np.ndarray, params: ProofParams, transcript: Transcript, *,
              check_degree: bool = True) -> tuple[FriProof, np.ndarray]:
    """Prove that ``codeword`` has degree below ``N / blowup``.

    ``codeword``: (N, 4) canonical uint32 over ``g·H_N`` in natural order. Returns the
    proof and the (num_queries,) int64 query positions in ``[0, N)``, which the
    caller opens in its own commitments. Raises ``ValueError`` for a bad shape or,
    with ``check_degree``, a codeword of too high degree. ``check_degree=False``
    sends the truncated final polynomial instead: only tests of the verifier want it.
    """
    values = as_ext_array(codeword)
    n = values.shape[0]
    if values.ndim != 2 or n == 0 or n & (n - 1):
        raise ValueError(f"a FRI codeword has shape (2^k, 4), not {values.shape}")
    shape = fri_shape(n.bit_length() - 1, params)
    shift = GENERATOR
    trees = []
    for log_arity in shape.log_arities:
        tree = MerkleTree.commit([_leaf_matrix(values, log_arity)])
        transcript.absorb_digest(b"fri-layer", tree.root)
        beta = transcript.squeeze_ext(b"fri-beta")
        values = fold_codeword(values, log_arity, beta, shift)
        shift = pow(shift, 1 << log_arity, P)
        trees.append(tree)
    final_poly = _final_polynomial(values, shift, shape.log_final_len, check_degree)
    transcript.absorb_u32s(b"fri-final", final_poly)
    nonce = transcript.grind(params.query_pow_bits)
    indices = transcript.squeeze_indices(b"fri-queries", params.num_queries, shape.log_domain)
    openings = []
    positions = indices
    for tree in trees:
        positions = positions & (tree.n_rows - 1)
        opening = tree.open(np.unique(positions))
        openings.append(OpenedRows(opening.values, opening.nodes))
    proof = FriProof(tuple(tree.root for tree in trees), tuple(openings), final_poly, nonce)
    return proof, indices


def verify_fri(proof: FriProof, log_domain: int, params: ProofParams, transcript: Transcript,
               input_values: Callable[[np.ndarray], np.ndarray | str]) -> FriVerdict:
    """Check a FRI proof for a codeword of ``2^log_domain`` points. Never raises.

    ``transcript`` must be in the prover's state at :func:`prove_fri`'s start.
    ``input_values(indices)`` gets the (num_queries,) int64 positions and returns the
    input codeword's values there, (num_queries, 4) uint32 — or a reason string if
    the caller's own openings fail. ``log_domain`` and ``params`` are the verifier's.
    """
    try:
        shape = fri_shape(log_domain, params)
    except ValueError as error:
        return FriVerdict(str(error))
    problem = _check_structure(proof, shape)
    if problem:
        return FriVerdict(problem)
    betas = []
    for root in proof.layer_roots:
        transcript.absorb_digest(b"fri-layer", root)
        betas.append(Ext(*transcript.squeeze_ext(b"fri-beta")))
    transcript.absorb_u32s(b"fri-final", proof.final_poly)
    if not transcript.check_pow(proof.pow_nonce, params.query_pow_bits):
        return FriVerdict("FRI proof of work is invalid")
    indices = transcript.squeeze_indices(b"fri-queries", params.num_queries, log_domain)
    inputs = input_values(indices)
    if isinstance(inputs, str):
        return FriVerdict(inputs, indices)
    # Every query at once (NumPy, ext_arrays): expected[i] is what query i's next
    # opened value must be.
    expected = ext_arrays.as_ext_array(inputs)
    passed = np.ones(params.num_queries, dtype=bool)
    positions = indices
    shift = GENERATOR
    log_sizes = shape.layer_log_sizes()
    for layer, log_arity in enumerate(shape.log_arities):
        log_leaves = log_sizes[layer + 1]
        slots = positions >> log_leaves
        positions = positions & ((1 << log_leaves) - 1)
        leaves = np.unique(positions)
        opened = proof.layer_openings[layer]
        problem = _check_opened(opened, leaves.size, 4 << log_arity)
        if problem is None and not merkle_verify(proof.layer_roots[layer], log_leaves, leaves,
                                                 opened.values, opened.nodes):
            problem = "Merkle opening does not match the root"
        if problem:
            return FriVerdict(f"FRI layer {layer}: {problem}", indices, np.zeros_like(passed))
        rows = ext_arrays.as_ext_array(opened.values[0]).reshape(leaves.size, 1 << log_arity, 4)
        which = np.searchsorted(leaves, positions)
        passed &= (rows[which, slots] == expected).all(axis=1)
        # 1/x for each leaf's first point x = shift·ω^leaf.
        inv_root = pow(two_adic_generator(log_sizes[layer]), P - 2, P)
        inv_shift = pow(shift, P - 2, P)
        inv_points = np.array([inv_shift * pow(inv_root, leaf, P) % P
                               for leaf in leaves.tolist()], dtype=np.uint64)
        expected = fold_leaves(rows, np.array(betas[layer].coeffs, dtype=np.uint64),
                               inv_points)[which]
        shift = pow(shift, 1 << log_arity, P)
    root = two_adic_generator(log_sizes[-1])
    points = [shift * pow(root, position, P) % P for position in positions.tolist()]
    final = ext_arrays.horner_at_base_points(ext_arrays.as_ext_array(proof.final_poly), points)
    passed &= (final == expected).all(axis=1)
    if not passed.all():
        first = int(np.argmin(passed))
        return FriVerdict(f"FRI query {first} (position {int(indices[first])}) is inconsistent "
                          f"({int((~passed).sum())} of {passed.size} queries fail)",
                          indices, passed)
    return FriVerdict(None, indices, passed)


def _leaf_matrix(values: np.ndarray, log_arity: int) -> np.ndarray:
    """The (4·a, M) matrix whose row-``j`` leaf is entries ``j + t·M``, ``t < a``."""
    arity = 1 << log_arity
    leaves = values.shape[0] >> log_arity
    grouped = values.reshape(arity, leaves, 4).transpose(0, 2, 1)
    return np.ascontiguousarray(grouped).reshape(4 * arity, leaves)


def _final_polynomial(values: np.ndarray, shift: int, log_len: int,
                      check_degree: bool) -> np.ndarray:
    """Coefficients of the final codeword (over ``shift·H``), truncated to ``2^log_len``."""
    coeffs = base_columns_to_ext(coset_intt(ext_to_base_columns(values), shift))[0]
    if check_degree and np.any(coeffs[1 << log_len:]):
        raise ValueError("the FRI input codeword is not of low degree")
    return np.ascontiguousarray(coeffs[:1 << log_len])


def _check_structure(proof: object, shape: FriShape) -> str | None:
    """Reason why ``proof`` is not a well-formed FRI proof for ``shape``, else None."""
    if not isinstance(proof, FriProof):
        return "FRI proof is missing"
    rounds = len(shape.log_arities)
    roots, openings = proof.layer_roots, proof.layer_openings
    if not isinstance(roots, tuple) or len(roots) != rounds:
        return f"FRI proof needs {rounds} layer roots"
    if not all(isinstance(root, bytes) and len(root) == 32 for root in roots):
        return "FRI layer root is not 32 bytes"
    if not isinstance(openings, tuple) or len(openings) != rounds:
        return f"FRI proof needs {rounds} layer openings"
    final = proof.final_poly
    want = (1 << shape.log_final_len, 4)
    if (not isinstance(final, np.ndarray) or final.dtype != np.uint32 or final.shape != want
            or np.any(final >= P)):
        return f"FRI final polynomial is not {want[0]} canonical extension coefficients"
    if type(proof.pow_nonce) is not int:
        return "FRI proof-of-work nonce is not an integer"
    return None


def _check_opened(opened: object, rows: int, width: int) -> str | None:
    """Reason why ``opened`` is not one (rows, width) canonical matrix, else None."""
    if not isinstance(opened, OpenedRows) or not isinstance(opened.values, tuple):
        return "opening is missing"
    if len(opened.values) != 1:
        return "opening must hold exactly one matrix"
    values = opened.values[0]
    if (not isinstance(values, np.ndarray) or values.dtype != np.uint32
            or values.shape != (rows, width)):
        return f"opening must be a ({rows}, {width}) uint32 matrix"
    if np.any(values >= P):
        return "opened value is not a canonical field element"
    return None
