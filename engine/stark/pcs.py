"""Polynomial commitments: commit base-field columns as LDEs, open them out of domain
with one DEEP-batched FRI proof.

**Commit** (:func:`commit`). A group of (m_i, n) matrices, each column a polynomial of
degree < n given by its evaluations over ``H_n`` (natural order) or its
coefficients, is extended to the coset ``g·H_N`` (``g = 31``, ``N = n·blowup``,
natural order) and the LDE rows are Merkle-committed, all matrices of the group side
by side in one leaf. The prover keeps the LDEs (:class:`CommittedMatrices`):
constraint evaluation runs on them. The verifier knows a group by its root and
widths (:class:`Commitment`).

**Open** (:func:`prove_openings`). Every group ``g`` has its own list of
out-of-domain points (e.g. ζ and ζ·ω for the trace, ζ for quotient chunks). In
transcript order:

1. the values ``f_(g,i)(z)`` for every group, point and column — barycentric
   evaluation over the ``g·H_n`` subset of the LDE, no interpolation — are absorbed
   (``b"pcs-values"``, one (points, width, 4) array per group);
2. with zero knowledge, a random extension polynomial ``R`` of degree < n is
   committed in its own Merkle tree (4 base columns, one per coordinate) and the
   root absorbed (``b"pcs-mask"``), before any batching challenge exists;
3. the batching challenges are squeezed: one coefficient ``c_(g,i)`` per column
   (``b"pcs-column"``), then one ``ρ_(g,z)`` per group and point (``b"pcs-point"``);
4. the DEEP codeword over ``g·H_N`` is

       F(x) = R(x) + Σ_(g,z) ρ_(g,z) · (S_g(x) − S_g(z)) / (z − x),
       S_g = Σ_i c_(g,i)·f_(g,i),

   of degree < n, and FRI proves it (:mod:`engine.stark.fri`);
5. every group's tree (and the mask's) opens the rows at FRI's query positions.

Independent coefficients instead of powers of one challenge keep the batching error
independent of the number of columns (``docs/security.md``, term ``deep_batching``);
sharing ``S_g`` across a group's points keeps the prover's work at one pass over
the columns.

**Verify** (:func:`verify_openings`) replays the transcript, checks each group's
Merkle rows at the query positions, recomputes ``F`` there from them and the claimed
values, and hands that to FRI as its input. It never raises on a malformed proof.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.field.babybear import (
    GENERATOR,
    P,
    as_field_array,
    bb_random,
    two_adic_generator,
)
from engine.field.scalar import Ext
from engine.hash.merkle import MerkleTree, merkle_root, merkle_verify
from engine.poly.ntt import (
    coset_lde,
    coset_ntt,
)
from engine.stark import ext_arrays
from engine.stark.deep import (
    add_scaled,
    barycentric_weights,
    combine_columns,
    deep_codeword,
    domain_points,
    evaluate_at_points,
    inverse_differences,
)
from engine.stark.fri import FriProof, FriVerdict, OpenedRows, prove_fri, verify_fri
from engine.stark.params import ProofParams
from engine.stark.transcript import Transcript

__all__ = ["Commitment", "CommittedMatrices", "PcsProof", "commit", "commitment_root",
           "prove_openings", "verify_openings"]


@dataclass(frozen=True)
class Commitment:
    """What a verifier knows of a committed group: its root and its matrices' widths."""

    root: bytes
    widths: tuple[int, ...]


@dataclass(frozen=True)
class CommittedMatrices:
    """The prover's copy of a committed group.

    ``ldes``: one (m_i, N) uint32 array per matrix, the columns over ``g·H_N`` in
    natural order (read-only: the tree refers to them). ``tree``: the Merkle tree of
    their rows. ``log_n``: log2 of the degree bound n; ``N = n · 2^log_blowup``.
    """

    tree: MerkleTree
    ldes: tuple[np.ndarray, ...]
    log_n: int
    log_blowup: int

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(lde.shape[0] for lde in self.ldes)

    @property
    def commitment(self) -> Commitment:
        return Commitment(self.root, self.widths)


@dataclass(frozen=True)
class PcsProof:
    """Out-of-domain openings of several committed groups (plain data).

    ``opened_values``: per group, (n_points_g, width_g, 4) uint32: ``[p, i]`` is column
    ``i`` (matrices side by side) at the group's point ``p``. ``mask_root``: the
    32-byte root of the masking polynomial with zero knowledge, ``b""`` without.
    ``query_openings``: each group's rows at the query positions (widths as
    committed), then the mask's (width 4) with zero knowledge. ``fri``: the FRI
    proof of the DEEP codeword.
    """

    opened_values: tuple[np.ndarray, ...]
    mask_root: bytes
    query_openings: tuple[OpenedRows, ...]
    fri: FriProof


def commit(matrices: Sequence[np.ndarray], params: ProofParams, *,
           coefficients: bool = False) -> CommittedMatrices:
    """Extend each matrix's columns to ``g·H_N`` and Merkle-commit the LDE rows.

    ``matrices``: (m_i, n) canonical uint32 each, the same n (a power of two), as
    evaluations over ``H_n`` in natural order, or as coefficients (low degree
    first) with ``coefficients=True``. Raises ``ValueError`` for no matrix,
    differing heights or bad values.
    """
    arrays = _checked_matrices(matrices)
    n = arrays[0].shape[-1]
    if coefficients:
        ldes = tuple(coset_ntt(a, GENERATOR, params.log_blowup) for a in arrays)
    else:
        ldes = tuple(coset_lde(a, params.log_blowup, GENERATOR) for a in arrays)
    tree = MerkleTree.commit(ldes)
    for lde in ldes:
        lde.flags.writeable = False
    return CommittedMatrices(tree, ldes, n.bit_length() - 1, params.log_blowup)


def commitment_root(matrices: Sequence[np.ndarray], params: ProofParams) -> bytes:
    """The root :func:`commit` gives ``matrices`` (evaluations), without keeping the
    tree (:func:`engine.hash.merkle.merkle_root`): what a verifier recomputing a
    commitment needs, in about half the memory."""
    arrays = _checked_matrices(matrices)
    ldes = [coset_lde(a, params.log_blowup, GENERATOR) for a in arrays]
    del arrays
    return merkle_root(ldes)


def _checked_matrices(matrices: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The matrices as field arrays, 2-D with one power-of-two height; ``ValueError``
    otherwise."""
    if not matrices:
        raise ValueError("commit needs at least one matrix")
    arrays = [as_field_array(m) for m in matrices]
    n = arrays[0].shape[-1]
    if any(a.ndim != 2 or a.shape[1] != n for a in arrays) or n & (n - 1):
        raise ValueError("matrices must be 2-D with the same power-of-two number of rows")
    return arrays


def prove_openings(groups: Sequence[CommittedMatrices], points: Sequence[Sequence[Ext]],
                   params: ProofParams, transcript: Transcript, *,
                   rng: np.random.Generator | None = None) -> tuple[PcsProof, np.ndarray]:
    """Open every group at its points; one DEEP codeword, one FRI proof.

    ``points[g]``: the extension points (``Ext`` or 4 ints) of group ``g``, at least
    one, none in the base field. ``rng``: source of the mask (None: the operating
    system's; a Generator only for reproducible tests). Returns the proof and the
    (num_queries,) int64 query positions in ``[0, N)``. Raises ``ValueError`` for
    groups of other sizes or blowups than ``params``, or bad points.
    """
    points = [[_as_ext(z) for z in group_points] for group_points in points]
    log_n = _check_groups(groups, points, params)
    stride = 1 << params.log_blowup
    # 1/(z − x) over the LDE coset, once per distinct point: the DEEP quotients need it,
    # and its every stride-th entry is the barycentric formula's 1/(z − x_j) over g·H_n.
    distinct = list(dict.fromkeys(z.coeffs for zs in points for z in zs))
    xs = domain_points(log_n + params.log_blowup, GENERATOR)
    inverses = np.empty((len(distinct), xs.size, 4), dtype=np.uint32)
    for k, key in enumerate(distinct):
        inverse_differences(Ext(*key), xs, out=inverses[k])
    weights = {key: barycentric_weights(log_n, GENERATOR, Ext(*key),
                                        inverses=inverses[k, ::stride])
               for k, key in enumerate(distinct)}
    opened = tuple(evaluate_at_points(g.ldes, stride, log_n, GENERATOR, zs,
                                      weights=[weights[z.coeffs] for z in zs])
                   for g, zs in zip(groups, points))
    for values in opened:
        transcript.absorb_u32s(b"pcs-values", values)
    mask = None
    if params.zk:
        mask = commit([bb_random(rng, (4, 1 << log_n))], params)
        transcript.absorb_digest(b"pcs-mask", mask.root)
    columns, rhos = _batching_challenges(transcript, [sum(g.widths) for g in groups],
                                         [len(zs) for zs in points])
    # Σ_(g,z) ρ_(g,z)·(S_g(x) − S_g(z))/(z − x) = Σ_z (T_z(x) − T_z(z))/(z − x) with
    # T_z = Σ_g ρ_(g,z)·S_g: each S_g is combined over g·H_n only (every stride-th LDE
    # point), the T_z are extended to g·H_N, then one pass over the big domain.
    n = 1 << log_n
    index = {key: k for k, key in enumerate(distinct)}
    sums = np.zeros((len(distinct), 4, n), dtype=np.uint32)
    claimed = [Ext.ZERO] * len(distinct)
    for g, group in enumerate(groups):
        combined = combine_columns(group.ldes, columns[g], stride)
        for p, z in enumerate(points[g]):
            add_scaled(sums[index[z.coeffs]], combined, rhos[g][p])
            claimed[index[z.coeffs]] += rhos[g][p] * _combine_values(columns[g], opened[g][p])
    # T_z(g·x) has degree < n: its values over H_n extend to H_N, i.e. T_z to g·H_N.
    extended = np.empty((len(distinct), 4, n << params.log_blowup), dtype=np.uint32)
    for k in range(len(distinct)):
        coset_lde(sums[k], params.log_blowup, 1, out=extended[k])
    del sums
    deep = deep_codeword(mask.ldes[0] if mask else None, extended,
                         np.array([v.coeffs for v in claimed], dtype=np.uint32), inverses)
    del extended, inverses
    fri_proof, indices = prove_fri(deep, params, transcript)
    rows = np.unique(indices)
    trees = [g.tree for g in groups] + ([mask.tree] if mask else [])
    query_openings = []
    for tree in trees:
        opening = tree.open(rows)
        query_openings.append(OpenedRows(opening.values, opening.nodes))
    proof = PcsProof(opened, mask.root if mask else b"", tuple(query_openings), fri_proof)
    return proof, indices


def verify_openings(commitments: Sequence[Commitment], points: Sequence[Sequence[Ext]],
                    log_n: int, proof: PcsProof, params: ProofParams,
                    transcript: Transcript) -> FriVerdict:
    """Check that ``proof.opened_values`` are the committed polynomials' values.

    ``commitments``: root (from the proof, unchecked) and widths (the verifier's)
    per group; ``points``: the verifier's points per group; ``log_n``: log2 of the
    degree bound. Returns a verdict whose ``reason`` is None on success; after
    success ``proof.opened_values`` are well-formed and may be used. Never raises.
    """
    problem = _check_proof(commitments, points, log_n, proof, params)
    if problem:
        return FriVerdict(problem)
    points = [[_as_ext(z) for z in group_points] for group_points in points]
    for values in proof.opened_values:
        transcript.absorb_u32s(b"pcs-values", values)
    if params.zk:
        transcript.absorb_digest(b"pcs-mask", proof.mask_root)
    widths = [tuple(c.widths) for c in commitments]
    columns, rhos = _batching_challenges(transcript, [sum(w) for w in widths],
                                         [len(zs) for zs in points])
    claimed = [[_combine_values(columns[g], values[p]) for p in range(len(points[g]))]
               for g, values in enumerate(proof.opened_values)]
    log_domain = log_n + params.log_blowup
    roots = [c.root for c in commitments] + ([proof.mask_root] if params.zk else [])
    widths += [(4,)] if params.zk else []

    def deep_values(indices: np.ndarray) -> np.ndarray | str:
        # F at every query position at once (NumPy over the queries, ext_arrays).
        rows = np.unique(indices)
        opened_rows = []
        for g, (root, opening) in enumerate(zip(roots, proof.query_openings)):
            problem = _check_rows(opening, rows.size, widths[g])
            if problem is None and not merkle_verify(root, log_domain, rows, opening.values,
                                                     opening.nodes):
                problem = "Merkle opening does not match the root"
            if problem:
                name = "mask" if g == len(commitments) else f"commitment {g}"
                return f"query rows of {name}: {problem}"
            opened_rows.append(np.concatenate(opening.values, axis=1))
        which = np.searchsorted(rows, indices)
        generator = two_adic_generator(log_domain)
        xs = np.array([GENERATOR * pow(generator, position, P) % P
                       for position in indices.tolist()], dtype=np.uint64)
        total = (ext_arrays.as_ext_array(opened_rows[-1][which]) if params.zk
                 else np.zeros((indices.size, 4), dtype=np.uint64))
        inverses = {}
        for g, zs in enumerate(points):
            combined = _combine_rows(columns[g], opened_rows[g])[which]
            for p, z in enumerate(zs):
                if z.coeffs not in inverses:
                    differences = np.tile(ext_arrays.from_ext(z), (indices.size, 1))
                    differences[:, 0] = (differences[:, 0] + (P - xs)) % P
                    inverses[z.coeffs] = ext_arrays.inverse(differences)
                term = ext_arrays.sub(combined, ext_arrays.from_ext(claimed[g][p]))
                term = ext_arrays.mul(ext_arrays.mul(term, ext_arrays.from_ext(rhos[g][p])),
                                      inverses[z.coeffs])
                total = ext_arrays.add(total, term)
        return total.astype(np.uint32)

    return verify_fri(proof.fri, log_domain, params, transcript, deep_values)


def _as_ext(z) -> Ext:
    return z if isinstance(z, Ext) else Ext(*z)


def _batching_challenges(transcript: Transcript, widths: list[int],
                         point_counts: list[int]) -> tuple[list[np.ndarray], list[list[Ext]]]:
    """Per group: (width, 4) uint32 column coefficients; per group and point: ρ."""
    columns = [np.array([transcript.squeeze_ext(b"pcs-column") for _ in range(w)],
                        dtype=np.uint32).reshape(w, 4) for w in widths]
    rhos = [[Ext(*transcript.squeeze_ext(b"pcs-point")) for _ in range(k)]
            for k in point_counts]
    return columns, rhos


def _combine_values(coeffs: np.ndarray, values: np.ndarray) -> Ext:
    """``Σ_i coeffs[i]·values[i]`` for extension coefficients and extension values."""
    products = ext_arrays.mul(ext_arrays.as_ext_array(coeffs), ext_arrays.as_ext_array(values))
    return ext_arrays.to_ext(products.sum(axis=0) % P)


def _combine_rows(coeffs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``Σ_i coeffs[i]·rows[k, i]`` per row k: base values, extension coefficients;
    ``(k, 4)`` uint64."""
    products = (rows.astype(np.uint64)[:, :, None] * coeffs.astype(np.uint64)[None]) % P
    return products.sum(axis=1) % P


def _check_groups(groups: Sequence[CommittedMatrices], points: list[list[Ext]],
                  params: ProofParams) -> int:
    """The common log_n of the groups; ValueError if they cannot be opened together."""
    if not groups or len(groups) != len(points):
        raise ValueError("need one list of points per committed group, and a group")
    log_n = groups[0].log_n
    for group, zs in zip(groups, points):
        if group.log_n != log_n or group.log_blowup != params.log_blowup:
            raise ValueError("all groups need the same height and the parameters' blowup")
        if not zs or any(z.is_base() for z in zs):
            raise ValueError("each group needs points, all outside the base field")
    return log_n


def _check_proof(commitments: object, points: object, log_n: object, proof: object,
                 params: ProofParams) -> str | None:
    """Reason why the inputs cannot be a well-formed opening, else None."""
    if not isinstance(proof, PcsProof):
        return "opening proof is missing"
    if type(log_n) is not int or not 0 <= log_n <= 27 - params.log_blowup:
        return "trace height out of range"
    n_groups = len(commitments)
    if not n_groups or len(points) != n_groups:
        return "need one list of points per commitment"
    for c, zs in zip(commitments, points):
        if not isinstance(c.root, bytes) or len(c.root) != 32:
            return "commitment root is not 32 bytes"
        if not zs or any(_as_ext(z).is_base() for z in zs):
            return "an opening point lies in the base field"
    values = proof.opened_values
    if not isinstance(values, tuple) or len(values) != n_groups:
        return f"opened values must cover {n_groups} commitments"
    for v, c, zs in zip(values, commitments, points):
        want = (len(zs), sum(c.widths), 4)
        if not isinstance(v, np.ndarray) or v.dtype != np.uint32 or v.shape != want:
            return f"opened values must be a {want} uint32 array"
        if np.any(v >= P):
            return "opened value is not a canonical field element"
    if not isinstance(proof.mask_root, bytes) or len(proof.mask_root) != (32 if params.zk else 0):
        return "mask root is malformed"
    openings = proof.query_openings
    if not isinstance(openings, tuple) or len(openings) != n_groups + params.zk:
        return "query openings do not match the commitments"
    return None


def _check_rows(opening: object, rows: int, widths: tuple[int, ...]) -> str | None:
    """Reason why ``opening`` does not hold ``rows`` canonical rows per matrix, else None."""
    if not isinstance(opening, OpenedRows) or not isinstance(opening.values, tuple):
        return "opening is missing"
    if len(opening.values) != len(widths):
        return f"opening must hold {len(widths)} matrices"
    for values, width in zip(opening.values, widths):
        if (not isinstance(values, np.ndarray) or values.dtype != np.uint32
                or values.shape != (rows, width)):
            return f"opening must hold ({rows}, {width}) uint32 matrices"
        if np.any(values >= P):
            return "opened value is not a canonical field element"
    return None
