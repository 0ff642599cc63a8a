"""A Merkle commit that reports its progress hashes in rounds of leaves: the same nodes
as the commit in one parallel region, and the hashlib tree's root; its fractions climb
to 1."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from engine.errors import Cancelled
from engine.hash import merkle
from engine.hash.merkle import MerkleTree


def _naive_root(matrices: list[np.ndarray]) -> bytes:
    """Textbook tree: hashlib leaf per row (u32 LE, matrices side by side), pairwise up."""
    n = matrices[0].shape[1]
    level = [hashlib.sha256(b"".join(m[:, r].astype("<u4").tobytes() for m in matrices)).digest()
             for r in range(n)]
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest()
                 for i in range(0, len(level), 2)]
    return level[0]


def _matrices(log_rows: int, columns: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 2**32, (c, 1 << log_rows), dtype=np.uint64).astype(np.uint32)
            for c in columns]


def _same_nodes(a: MerkleTree, b: MerkleTree) -> bool:
    return len(a.levels) == len(b.levels) and all(
        np.array_equal(x, y) for x, y in zip(a.levels, b.levels))


@pytest.mark.parametrize("log_rows, columns", [(13, (7, 3)), (14, (40,)), (16, (1,))])
def test_rounds_give_the_nodes_of_one_region_and_the_hashlib_root(monkeypatch, log_rows,
                                                                   columns):
    """Small rounds (so that small trees take several): every node equals the unchunked
    commit's, and the root the textbook tree's."""
    monkeypatch.setattr(merkle, "_ROUND_WORDS", 1 << 12)
    matrices = _matrices(log_rows, columns)
    whole = MerkleTree.commit(matrices)
    fractions: list[float] = []
    rounds = MerkleTree.commit(matrices, progress=fractions.append)
    assert len(fractions) == merkle._MAX_ROUNDS      # it did hash in rounds
    assert _same_nodes(rounds, whole)
    assert rounds.root == _naive_root(matrices)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0 < f <= 1 for f in fractions)


def test_rounds_at_the_shipped_sizes():
    """A 2^16-row trace's trees (2^18 LDE rows) take one round; a 2^20-row trace's
    main tree eight; a round is never under 2^26 words of work."""
    def words(log_rows: int, columns: int) -> int:
        return (1 << log_rows) * (columns + merkle._NODE_WORDS)
    assert merkle._rounds(1 << 18, words(18, 217)) == 1
    assert merkle._rounds(1 << 20, words(20, 217)) == 2
    assert merkle._rounds(1 << 22, words(22, 217)) == merkle._MAX_ROUNDS == 8
    for log_rows, columns in ((19, 100), (20, 50), (21, 300)):
        rounds = merkle._rounds(1 << log_rows, words(log_rows, columns))
        assert rounds == 1 or words(log_rows, columns) // rounds >= merkle._ROUND_WORDS


def test_a_two_round_tree_reports_its_half():
    matrices = _matrices(15, (30,), seed=3)
    fractions: list[float] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merkle, "_ROUND_WORDS", (1 << 15) * 62 // 2)
        tree = MerkleTree.commit(matrices, progress=fractions.append)
    assert fractions == [0.5, 1.0]
    assert _same_nodes(tree, MerkleTree.commit(matrices))
    assert tree.root == _naive_root(matrices)


def test_a_small_tree_reports_only_its_end():
    fractions: list[float] = []
    tree = MerkleTree.commit(_matrices(6, (5,)), progress=fractions.append)
    assert fractions == [1.0] and tree.root == _naive_root(_matrices(6, (5,)))


def test_the_callback_can_stop_the_commit(monkeypatch):
    monkeypatch.setattr(merkle, "_ROUND_WORDS", 1 << 12)
    seen: list[float] = []

    def stop(fraction: float) -> None:
        seen.append(fraction)
        raise Cancelled("cancelled")

    with pytest.raises(Cancelled):
        MerkleTree.commit(_matrices(14, (8,)), progress=stop)
    assert seen == [1 / merkle._MAX_ROUNDS]


def test_warm_up_compiles_the_kernels_a_commit_in_rounds_runs(monkeypatch):
    """``zkwb warm-up``'s proofs are too small for rounds: its own step hashes a tree in
    rounds, with the root of the plain commit, and leaves the round kernels with every
    signature a real commit in rounds needs (so a tall proof compiles nothing)."""
    matrix = np.arange(8 << 12, dtype=np.uint32).reshape(8, 1 << 12)
    assert merkle.warm_up_rounds() == MerkleTree.commit([matrix]).root
    kernels = (merkle._subtrees_kernel, merkle._hash_top_levels)
    compiled = [set(k.signatures) for k in kernels]
    assert all(compiled)
    monkeypatch.setattr(merkle, "_ROUND_WORDS", 1 << 12)
    fractions: list[float] = []
    MerkleTree.commit(_matrices(14, (40,)), progress=fractions.append)
    assert len(fractions) > 1                          # it did hash in rounds
    assert [set(k.signatures) for k in kernels] == compiled
