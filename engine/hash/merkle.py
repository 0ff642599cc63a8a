"""Merkle trees over the rows of column-major matrices, with batch openings.

Construction (fixed by docs/design.md, "Hash"; any SHA-256 tool can recompute
a root):

* A commitment covers one or more ``(n_columns_i, n_rows)`` uint32 matrices of
  the same height ``n_rows = 2^height``. Leaf ``r`` is
  ``SHA-256(M1[:, r] ‖ M2[:, r] ‖ ...)``, every value as 4 little-endian bytes.
* Node ``i`` of level ``l + 1`` is ``SHA-256(node[l][2i] ‖ node[l][2i+1])``; level 0
  holds the leaves and level ``height`` the root. A height-0 tree's root is its
  only leaf.

Batch opening: node order
-------------------------
An opening of a set of rows carries only the nodes a verifier cannot compute
itself. Let ``known_0`` be the sorted distinct opened rows. For level
``l = 0, 1, ..., height - 1``, in that order, and for each ``i`` in ``known_l`` in
ascending order: if ``i ^ 1`` is not in ``known_l``, the next opening node is
node ``i ^ 1`` of level ``l``. Then ``known_{l+1} = {i >> 1 : i in known_l}``.
So the nodes go bottom-up, and left to right within a level; a node shared by
several paths, or computable from opened rows, never appears. A verifier reads
them with a cursor and must end with the cursor exactly at the end.

Building a tree
---------------
One Numba call hashes the leaves and every level into a single ``(2n - 1, 32)``
buffer: up to 64 subtrees in parallel, then the top levels; trees under about
1 ms of work stay on the calling thread. A 2^16 x 100 commit (26 MB) took 11 ms
on the 2-core development machine (2.4 GB/s; hashlib streams 1.2-1.5 GB/s);
``python -m engine.cli.bench.merkle`` measures it. Given a ``progress`` callback, a
large tree (256 MB of hashing or more) is hashed in up to 8 rounds of aligned blocks of leaves (each block's
subtrees in parallel, one parallel region per round), the callback told the fraction
done after each: the nodes are the same, only the order of the work changes.

Opened values are not checked to be canonical field elements here: a verifier
that treats them as field elements must reject values ``>= p`` itself.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from engine.hash.sha256 import (
    LANES,
    digest_pairs_group,
    digest_rows_group,
    lane_scratch,
    row_messages,
)

__all__ = ["MAX_LOG_HEIGHT", "MerkleOpening", "MerkleTree", "merkle_commit", "merkle_root",
           "merkle_verify", "rows_to_matrix"]

#: Largest tree :func:`merkle_verify` accepts (2^32 leaves); larger claims are
#: malformed input, far beyond any trace this prover makes.
MAX_LOG_HEIGHT = 32

# A commit splits the tree into at most this many subtrees, hashed in parallel
# from leaves to subtree roots in ONE parallel region: every region costs a
# barrier, and on a shared machine a barrier can wait a whole scheduler time
# slice (measured ~7 ms per level when one core was busy).
_MAX_SUBTREES = 64

# Trees whose hashing work (in 32-bit words: each row's words, plus 32 for the
# two blocks of its share of the nodes) is below this, about 1 ms on one core,
# are built on the calling thread, which beats waking the thread pool.
_SERIAL_WORDS = 1 << 18
_NODE_WORDS = 32

# With a progress callback, a tree is hashed in rounds of at least this much work (in
# the words above: 256 MB, about 0.1 s on two cores), at most _MAX_ROUNDS of them: each
# round is one more parallel region (measured 4-5 ms each on the 2-core machine, so a
# round must be long) and one more report. A 2^16-row trace's trees take one round.
_ROUND_WORDS = 1 << 26
_MAX_ROUNDS = 8


@dataclass(frozen=True, eq=False)
class MerkleOpening:
    """Opened rows of a commitment and the nodes that authenticate them.

    ``rows``: (k,) int64 row indices, in the order asked for (repeats allowed).
    ``values``: one (k, n_columns_i) uint32 array per committed matrix;
    ``values[m][j]`` is row ``rows[j]`` of matrix ``m``.
    ``nodes``: (n_nodes, 32) uint8 authentication nodes, in the order of the
    module docstring.
    """

    rows: np.ndarray
    values: tuple[np.ndarray, ...]
    nodes: np.ndarray

    def leaf_values(self) -> np.ndarray:
        """The leaf preimages: (k, total_columns) uint32, matrices side by side."""
        return np.concatenate(self.values, axis=1)

    def verify(self, root: bytes, log_height: int) -> bool:
        """:func:`merkle_verify` on this opening."""
        return merkle_verify(root, log_height, self.rows, self.values, self.nodes)


class MerkleTree:
    """A commitment to the rows of equal-height column-major uint32 matrices.

    Keeps every level as an ``(n, 32)`` uint8 array (``levels[0]`` the leaves,
    ``levels[-1]`` the root; views into one ``(2n - 1, 32)`` buffer), and
    references to the matrices for openings: callers must not modify them
    afterwards.
    """

    def __init__(self, matrices: tuple[np.ndarray, ...], levels: list[np.ndarray]):
        self.matrices = matrices
        self.levels = levels

    @classmethod
    def commit(cls, matrices: Sequence[np.ndarray], *,
               progress: Callable[[float], None] | None = None) -> MerkleTree:
        """Commit to the rows of ``matrices``: ``(n_columns_i, 2^h)`` uint32 each.

        ``progress(fraction)``, when given, is called after each round of leaves
        hashed (module docstring) and with 1.0 once the root is known; it may raise
        (e.g. ``engine.errors.Cancelled``) to stop the commit.

        Raises ``ValueError`` when there is no matrix, a matrix is not 2-D
        uint32, heights differ, or the height is not a power of two.
        """
        matrices = list(matrices)
        rows = row_messages(matrices)
        n_rows = rows.n_rows
        if n_rows == 0 or n_rows & (n_rows - 1):
            raise ValueError(f"the number of rows must be a power of two, not {n_rows}")
        log_rows = n_rows.bit_length() - 1
        nodes = np.empty((2 * n_rows - 1, 32), dtype=np.uint8)
        work = n_rows * (rows.word_matrix.shape[0] + _NODE_WORDS)
        if work <= _SERIAL_WORDS:
            _tree_kernel_serial(rows.slots, rows.word_matrix, rows.word_column, rows.tail,
                                nodes.view(np.uint32), log_rows)
        else:
            rounds = _rounds(n_rows, work) if progress is not None else 1
            per_round = min(_MAX_SUBTREES, max(1, n_rows // rounds // (4 * LANES)))
            log_subtree = log_rows - ((rounds * per_round).bit_length() - 1)
            with numba.parallel_chunksize(1):
                if rounds == 1:
                    _tree_kernel(rows.slots, rows.word_matrix, rows.word_column, rows.tail,
                                 nodes.view(np.uint32), log_rows, log_subtree)
                else:
                    _hash_in_rounds(rows, nodes, log_rows, log_subtree, rounds, per_round,
                                    progress)
        if progress is not None:
            progress(1.0)
        levels = [nodes[_level_offset(n_rows, level):][:n_rows >> level]
                  for level in range(log_rows + 1)]
        mats = tuple(np.ascontiguousarray(m) for m in matrices)
        return cls(mats, levels)

    @property
    def root(self) -> bytes:
        """The 32-byte root digest."""
        return self.levels[-1][0].tobytes()

    @property
    def height(self) -> int:
        """log2 of the number of rows (0 for a single row)."""
        return len(self.levels) - 1

    @property
    def n_rows(self) -> int:
        """Number of committed rows (``2 ** height``)."""
        return self.levels[0].shape[0]

    def open(self, rows: np.ndarray) -> MerkleOpening:
        """Open ``rows`` (any integer array-like, repeats allowed, k >= 1).

        Returns their values per matrix and the deduplicated authentication
        nodes. Raises ``ValueError`` for an empty set or an index outside
        ``[0, n_rows)``.
        """
        rows = np.asarray(rows)
        if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError("rows must be a non-empty 1-D integer array")
        rows = rows.astype(np.int64)
        if rows.min() < 0 or rows.max() >= self.n_rows:
            raise ValueError(f"row index out of range [0, {self.n_rows})")
        values = tuple(np.ascontiguousarray(m[:, rows].T) for m in self.matrices)
        known = np.unique(rows)
        nodes = []
        for level in self.levels[:-1]:
            siblings = known ^ 1
            nodes.append(level[siblings[~np.isin(siblings, known)]])
            known = np.unique(known >> 1)
        all_nodes = (np.concatenate(nodes) if nodes else np.empty((0, 32), dtype=np.uint8))
        return MerkleOpening(rows, values, all_nodes)


def merkle_commit(matrices: Sequence[np.ndarray]) -> MerkleTree:
    """Same as :meth:`MerkleTree.commit`."""
    return MerkleTree.commit(matrices)


def merkle_root(matrices: Sequence[np.ndarray], *, log_chunk_rows: int = 16) -> bytes:
    """The root :meth:`MerkleTree.commit` computes, without keeping the tree.

    For a verifier that only compares roots: the rows are committed in aligned blocks
    of ``2^log_chunk_rows`` (each block's root is a node of the whole tree), then the
    block roots are hashed up to the root. Beyond the matrices it holds one block's
    tree and copy, not the ``(2n - 1, 32)`` buffer (268 MB for 2^22 rows). Raises
    ``ValueError`` as :meth:`MerkleTree.commit`.
    """
    mats = list(matrices)
    n_rows = row_messages(mats).n_rows
    chunk = 1 << log_chunk_rows
    if n_rows <= chunk or n_rows & (n_rows - 1):
        return MerkleTree.commit(mats).root
    level = [MerkleTree.commit([m[:, start:start + chunk] for m in mats]).root
             for start in range(0, n_rows, chunk)]
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest()
                 for i in range(0, len(level), 2)]
    return level[0]


def merkle_verify(root: bytes, log_height: int, rows: np.ndarray,
                  leaf_values_u32: np.ndarray | Sequence[np.ndarray],
                  opening_nodes: np.ndarray) -> bool:
    """Check an opening against a root. Never raises; malformed input is False.

    ``root``: 32 bytes. ``log_height``: tree height, ``0..MAX_LOG_HEIGHT``.
    ``rows``: (k,) integer ndarray, k >= 1, each in ``[0, 2^log_height)``; a row may
    repeat, and then every copy's values must hash to the same leaf.
    ``leaf_values_u32``: (k, width) uint32 ndarray of leaf preimages, or a list
    or tuple of (k, width_i) uint32 ndarrays (one per matrix, joined side by side).
    ``opening_nodes``: (n, 32) uint8 ndarray, in the order of the module docstring;
    all of them must be consumed.

    True iff the rows hash, with the nodes, to ``root``.
    """
    leaves = _leaf_digests(rows, leaf_values_u32, log_height)
    if (leaves is None or not isinstance(root, bytes) or len(root) != 32
            or not isinstance(opening_nodes, np.ndarray) or opening_nodes.dtype != np.uint8
            or opening_nodes.ndim != 2 or opening_nodes.shape[1] != 32):
        return False
    known = leaves
    cursor = 0
    for _ in range(log_height):
        parents: dict[int, bytes] = {}
        for i in sorted(known):
            if i & 1 and i - 1 in known:
                continue
            if i ^ 1 in known:
                pair = known[i] + known[i ^ 1]
            else:
                if cursor >= opening_nodes.shape[0]:
                    return False
                sibling = opening_nodes[cursor].tobytes()
                cursor += 1
                pair = sibling + known[i] if i & 1 else known[i] + sibling
            parents[i >> 1] = hashlib.sha256(pair).digest()
        known = parents
    return cursor == opening_nodes.shape[0] and hmac.compare_digest(known[0], root)


def rows_to_matrix(rows_u32: np.ndarray) -> np.ndarray:
    """Row-major data to the column-major matrix that :meth:`MerkleTree.commit` takes.

    ``rows_u32``: (n_rows, ...) uint32, e.g. a FRI layer as (n_leaves, arity, 4)
    extension coefficients; each row's values are taken in C order. Returns a new
    (width, n_rows) uint32 C-contiguous array, so that leaf ``r`` hashes exactly
    ``rows_u32[r]`` as little-endian u32 values. Raises ``ValueError`` on another
    dtype or fewer than one dimension.
    """
    if not isinstance(rows_u32, np.ndarray) or rows_u32.dtype != np.uint32 or rows_u32.ndim < 1:
        raise ValueError("rows_u32 must be a uint32 array of shape (n_rows, ...)")
    return np.ascontiguousarray(rows_u32.reshape(rows_u32.shape[0], -1).T)


def _leaf_digests(rows: object, values: object, log_height: object) -> dict[int, bytes] | None:
    """Leaf digest per distinct row, or None when the inputs are malformed.

    Malformed: non-int or out-of-range height, rows not a non-empty 1-D integer
    ndarray in range, values not uint32 2-D with one row per index, or two copies
    of a row whose values differ.
    """
    if type(log_height) is not int or not 0 <= log_height <= MAX_LOG_HEIGHT:
        return None
    if (not isinstance(rows, np.ndarray) or rows.ndim != 1 or rows.size == 0
            or not np.issubdtype(rows.dtype, np.integer)):
        return None
    parts = [values] if isinstance(values, np.ndarray) else values
    if not isinstance(parts, (list, tuple)) or not parts:
        return None
    for part in parts:
        if (not isinstance(part, np.ndarray) or part.dtype != np.uint32 or part.ndim != 2
                or part.shape[0] != rows.shape[0]):
            return None
    if int(rows.min()) < 0 or int(rows.max()) >= 1 << log_height:
        return None
    preimages = np.concatenate(parts, axis=1).astype("<u4")
    leaves: dict[int, bytes] = {}
    for row, preimage in zip(rows.tolist(), preimages):
        digest = hashlib.sha256(preimage.tobytes()).digest()
        if leaves.setdefault(row, digest) != digest:
            return None
    return leaves


def _hash_in_rounds(rows, nodes: np.ndarray, log_rows: int, log_subtree: int, rounds: int,
                    per_round: int, progress: Callable[[float], None]) -> None:
    """Every node of the tree, its subtrees ``per_round`` at a time in ``rounds``
    rounds (``progress`` told the fraction after each but the last), then the top."""
    for r in range(rounds):
        _subtrees_kernel(rows.slots, rows.word_matrix, rows.word_column, rows.tail,
                         nodes.view(np.uint32), log_rows, log_subtree, r * per_round,
                         (r + 1) * per_round)
        if r + 1 < rounds:
            progress((r + 1) / rounds)
    _hash_top_levels(nodes.view(np.uint32), log_rows, log_subtree, lane_scratch())


def warm_up_rounds() -> bytes:
    """Hash a small tree in two rounds, as a commit with progress of 256 MB or more is
    hashed: compiles (or loads from the cache) the kernels only such trees use, for
    ``zkwb warm-up``, whose proofs are smaller (a 2^18-row proof's trees take rounds).
    Returns the root, the one :meth:`MerkleTree.commit` gives the same matrix."""
    matrix = np.arange(8 << 12, dtype=np.uint32).reshape(8, 1 << 12)
    rows = row_messages([matrix])
    log_rows = 12
    nodes = np.empty(((2 << log_rows) - 1, 32), dtype=np.uint8)
    per_round = max(1, (1 << log_rows) // 2 // (4 * LANES))
    log_subtree = log_rows - ((2 * per_round).bit_length() - 1)
    with numba.parallel_chunksize(1):
        _hash_in_rounds(rows, nodes, log_rows, log_subtree, 2, per_round, lambda _: None)
    return nodes[-1].tobytes()


def _rounds(n_rows: int, work: int) -> int:
    """How many rounds a tree of ``n_rows`` leaves and ``work`` words is hashed in
    when its progress is reported: a power of two, at most :data:`_MAX_ROUNDS`, each
    round at least :data:`_ROUND_WORDS` of work and one subtree of ``4·LANES`` leaves."""
    rounds = 1
    while (rounds < _MAX_ROUNDS and work // (2 * rounds) >= _ROUND_WORDS
           and n_rows // (2 * rounds) >= 4 * LANES):
        rounds *= 2
    return rounds


def _level_offset(n_rows: int, level: int) -> int:
    """First row of tree level ``level`` in the (2n - 1, 32) node buffer."""
    return 2 * n_rows - (2 * n_rows >> level)


@numba.njit(nogil=True, cache=True, parallel=True)
def _tree_kernel(slots, word_matrix, word_column, tail, nodes, log_rows, log_subtree):
    """Fill ``nodes``, the (2n - 1, 8) uint32 view of the (2n - 1, 32) uint8 node
    buffer: leaves, then each level after the last (level l from row 2n - 2n/2^l).

    Each parallel iteration hashes one subtree of ``2^log_subtree`` leaves up to
    its root; the few levels above the subtree roots follow serially.
    """
    for t in numba.prange(1 << (log_rows - log_subtree)):
        _hash_subtree(slots, word_matrix, word_column, tail, nodes, log_rows, log_subtree, t,
                      lane_scratch())
    _hash_top_levels(nodes, log_rows, log_subtree, lane_scratch())


@numba.njit(nogil=True, cache=True, parallel=True)
def _subtrees_kernel(slots, word_matrix, word_column, tail, nodes, log_rows, log_subtree,
                     first, last):
    """Subtrees ``first .. last - 1`` of :func:`_tree_kernel` (one round of a commit
    that reports progress), in parallel; the top levels are left to
    :func:`_hash_top_levels` once every subtree root exists."""
    for t in numba.prange(first, last):
        _hash_subtree(slots, word_matrix, word_column, tail, nodes, log_rows, log_subtree, t,
                      lane_scratch())


@numba.njit(nogil=True, cache=True)
def _tree_kernel_serial(slots, word_matrix, word_column, tail, nodes, log_rows):
    """:func:`_tree_kernel` on the calling thread, for trees too small to share."""
    _hash_subtree(slots, word_matrix, word_column, tail, nodes, log_rows, log_rows, 0,
                  lane_scratch())


@numba.njit(nogil=True, cache=True)
def _hash_subtree(slots, word_matrix, word_column, tail, nodes, log_rows, log_subtree, t,
                  scratch):
    """Leaves ``t * 2^log_subtree`` onwards and their subtree up to its root."""
    n = 1 << log_rows
    width = 1 << log_subtree
    for first in range(t * width, (t + 1) * width, LANES):
        digest_rows_group(slots, word_matrix, word_column, tail, first,
                          min(LANES, (t + 1) * width - first), nodes, 0, scratch)
    for level in range(1, log_subtree + 1):
        end = ((t + 1) * width) >> level
        for first in range((t * width) >> level, end, LANES):
            digest_pairs_group(nodes, 2 * n - (2 * n >> (level - 1)), first,
                               min(LANES, end - first), nodes, 2 * n - (2 * n >> level), scratch)


@numba.njit(nogil=True, cache=True)
def _hash_top_levels(nodes, log_rows, log_subtree, scratch):
    """Levels ``log_subtree + 1 .. log_rows``, once the subtree roots exist."""
    n = 1 << log_rows
    for level in range(log_subtree + 1, log_rows + 1):
        end = n >> level
        for first in range(0, end, LANES):
            digest_pairs_group(nodes, 2 * n - (2 * n >> (level - 1)), first,
                               min(LANES, end - first), nodes, 2 * n - (2 * n >> level), scratch)
