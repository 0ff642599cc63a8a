"""Merkle commitments: roots match a naive hashlib tree; openings verify and tampering fails."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.hash.merkle import (MerkleTree, merkle_commit, merkle_root, merkle_verify,
                                rows_to_matrix)

P = 0x78000001


def _naive_root(matrices: list[np.ndarray]) -> bytes:
    """Textbook tree: hashlib leaf per row (u32 LE, matrices side by side), pairwise up."""
    n_rows = matrices[0].shape[1]
    level = [hashlib.sha256(b"".join(m[:, r].astype("<u4").tobytes() for m in matrices)).digest()
             for r in range(n_rows)]
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def _matrices(log_rows: int, columns=(5, 3), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, P, size=(c, 1 << log_rows), dtype=np.uint32) for c in columns]


def _tree_and_opening(rows, log_rows=6):
    tree = merkle_commit(_matrices(log_rows))
    return tree, tree.open(np.array(rows, dtype=np.int64))


@pytest.mark.parametrize("log_rows, log_chunk", [(0, 0), (3, 0), (5, 2), (8, 3), (8, 8),
                                                 (8, 16), (12, 4), (17, 16)])
def test_merkle_root_is_the_trees_root_without_the_tree(log_rows, log_chunk):
    matrices = _matrices(log_rows, columns=(7, 1, 4), seed=log_rows)
    root = merkle_root(matrices, log_chunk_rows=log_chunk)
    assert root == MerkleTree.commit(matrices).root
    if log_rows <= 8:
        assert root == _naive_root(matrices)
    if log_rows >= 2:
        with pytest.raises(ValueError):
            merkle_root([matrices[0][:, :3]], log_chunk_rows=log_chunk)


@pytest.mark.parametrize("log_rows", [0, 1, 2, 5, 8])
def test_root_matches_naive_hashlib_tree(log_rows):
    matrices = _matrices(log_rows, seed=log_rows)
    tree = MerkleTree.commit(matrices)
    assert tree.root == _naive_root(matrices)
    assert tree.height == log_rows and tree.n_rows == 1 << log_rows
    assert [level.shape for level in tree.levels] == [(1 << (log_rows - i), 32)
                                                      for i in range(log_rows + 1)]


@pytest.mark.parametrize("log_rows", [12, 13, 17])
def test_root_matches_naive_tree_built_serially_or_in_parallel_subtrees(log_rows):
    matrices = _matrices(log_rows, columns=(1,), seed=log_rows)
    tree = merkle_commit(matrices)
    assert tree.root == _naive_root(matrices)
    parents = tree.levels[1]
    assert parents[-1].tobytes() == hashlib.sha256(tree.levels[0][-2:].tobytes()).digest()


def test_commit_rejects_height_not_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        merkle_commit([np.zeros((2, 6), np.uint32)])


@pytest.mark.parametrize("seed", range(12))
def test_open_verify_round_trip_random_rows_with_duplicates(seed):
    rng = np.random.default_rng(seed)
    log_rows = int(rng.integers(0, 9))
    tree = merkle_commit(_matrices(log_rows, seed=seed))
    rows = rng.integers(0, 1 << log_rows, size=int(rng.integers(1, 20)))
    opening = tree.open(rows)
    assert np.array_equal(opening.rows, rows)
    assert np.array_equal(opening.values[0], tree.matrices[0][:, rows].T)
    assert merkle_verify(tree.root, log_rows, opening.rows, opening.values, opening.nodes)
    assert merkle_verify(tree.root, log_rows, opening.rows, opening.leaf_values(), opening.nodes)
    assert opening.verify(tree.root, log_rows)


def test_opening_nodes_are_deduplicated_bottom_up_left_to_right():
    # Rows 2 and 3 are siblings; 2,3 -> 1 and 6 -> 3 at level 1; level 2 has 0 and 1.
    tree, opening = _tree_and_opening([6, 3, 2, 6])
    levels = tree.levels
    expected = [levels[0][7], levels[1][0], levels[1][2], levels[3][1], levels[4][1],
                levels[5][1]]
    assert np.array_equal(opening.nodes, np.array(expected))


def test_neighbouring_rows_share_their_path():
    tree, single = _tree_and_opening([10])
    _, pair = _tree_and_opening([10, 11])
    assert len(single.nodes) == tree.height and len(pair.nodes) == tree.height - 1


def test_opening_all_rows_needs_no_nodes():
    tree, opening = _tree_and_opening(list(range(64)))
    assert opening.nodes.shape == (0, 32)
    assert opening.verify(tree.root, tree.height)


def test_verify_rejects_changed_value():
    tree, opening = _tree_and_opening([4, 9])
    values = [v.copy() for v in opening.values]
    values[1][1, 2] ^= 1
    assert not merkle_verify(tree.root, 6, opening.rows, values, opening.nodes)


def test_verify_rejects_wrong_index():
    tree, opening = _tree_and_opening([4, 9])
    assert not merkle_verify(tree.root, 6, np.array([4, 8]), opening.values, opening.nodes)
    assert not merkle_verify(tree.root, 6, np.array([9, 4]), opening.values, opening.nodes)


@pytest.mark.parametrize("node", [0, 3, -1])
def test_verify_rejects_flipped_node_byte(node):
    tree, opening = _tree_and_opening([4, 9, 33])
    nodes = opening.nodes.copy()
    nodes[node, 17] ^= 0x40
    assert not merkle_verify(tree.root, 6, opening.rows, opening.values, nodes)


def test_verify_rejects_truncated_or_extra_nodes():
    tree, opening = _tree_and_opening([4, 9])
    assert not merkle_verify(tree.root, 6, opening.rows, opening.values, opening.nodes[:-1])
    extra = np.concatenate([opening.nodes, opening.nodes[:1]])
    assert not merkle_verify(tree.root, 6, opening.rows, opening.values, extra)


@pytest.mark.parametrize("rows", [[64], [-1], [2**63 - 1]])
def test_verify_rejects_out_of_range_index(rows):
    tree, opening = _tree_and_opening([4])
    assert not merkle_verify(tree.root, 6, np.array(rows), opening.values, opening.nodes)


def test_verify_rejects_duplicate_row_with_different_values():
    tree, opening = _tree_and_opening([5, 5])
    values = opening.leaf_values()
    values[1, 0] = (values[1, 0] + 1) % P
    assert not merkle_verify(tree.root, 6, opening.rows, values, opening.nodes)


def test_verify_rejects_wrong_root_and_height():
    tree, opening = _tree_and_opening([4, 9])
    assert not merkle_verify(bytes(32), 6, opening.rows, opening.values, opening.nodes)
    assert not merkle_verify(tree.root, 5, opening.rows, opening.values, opening.nodes)
    assert not merkle_verify(tree.root, 7, opening.rows, opening.values, opening.nodes)


@pytest.mark.parametrize("mutate", [
    lambda a: {**a, "root": a["root"][:31]},
    lambda a: {**a, "root": "not bytes"},
    lambda a: {**a, "log_height": -1},
    lambda a: {**a, "log_height": 33},
    lambda a: {**a, "log_height": 6.0},
    lambda a: {**a, "rows": [4, 9]},
    lambda a: {**a, "rows": np.array([], dtype=np.int64)},
    lambda a: {**a, "rows": np.array([4.0, 9.0])},
    lambda a: {**a, "rows": np.array([[4, 9]])},
    lambda a: {**a, "values": []},
    lambda a: {**a, "values": None},
    lambda a: {**a, "values": [a["values"][0][:1]]},
    lambda a: {**a, "values": [a["values"][0].astype(np.int64)]},
    lambda a: {**a, "values": [a["values"][0].ravel()]},
    lambda a: {**a, "nodes": a["nodes"].tobytes()},
    lambda a: {**a, "nodes": a["nodes"][:, :31]},
    lambda a: {**a, "nodes": a["nodes"].astype(np.int16)},
])
def test_verify_returns_false_on_malformed_input(mutate):
    tree, opening = _tree_and_opening([4, 9])
    args = {"root": tree.root, "log_height": 6, "rows": opening.rows,
            "values": [opening.leaf_values()], "nodes": opening.nodes}
    assert merkle_verify(args["root"], args["log_height"], args["rows"], args["values"],
                         args["nodes"])
    bad = mutate(args)
    assert merkle_verify(bad["root"], bad["log_height"], bad["rows"], bad["values"],
                         bad["nodes"]) is False


def test_open_rejects_out_of_range_and_empty_rows():
    tree = merkle_commit(_matrices(3))
    with pytest.raises(ValueError):
        tree.open(np.array([8]))
    with pytest.raises(ValueError):
        tree.open(np.array([], dtype=np.int64))


def test_rows_to_matrix_commits_extension_rows_as_le_u32():
    fri_layer = np.random.default_rng(3).integers(0, P, size=(16, 2, 4), dtype=np.uint32)
    tree = merkle_commit([rows_to_matrix(fri_layer)])
    expected_leaf = hashlib.sha256(fri_layer[5].astype("<u4").tobytes()).digest()
    assert tree.levels[0][5].tobytes() == expected_leaf
    opening = tree.open(np.array([5]))
    assert np.array_equal(opening.values[0].reshape(2, 4), fri_layer[5])


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.integers(-3, 70), min_size=0, max_size=6),
       width=st.integers(0, 4), node_count=st.integers(0, 12), log_height=st.integers(-1, 40),
       seed=st.integers(0, 2**32 - 1))
def test_verify_never_raises_on_garbage(rows, width, node_count, log_height, seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 1 << 32, size=(len(rows), width), dtype=np.uint32)
    nodes = rng.integers(0, 256, size=(node_count, 32), dtype=np.uint8)
    root = rng.integers(0, 256, size=32, dtype=np.uint8).tobytes()
    assert merkle_verify(root, log_height, np.array(rows, dtype=np.int64), values, nodes) is False
