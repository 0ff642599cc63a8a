"""The lane-parallel SHA-256 kernels agree with hashlib."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from engine.hash.sha256 import LANES, hash_pairs, hash_rows, sha256, sha256_batch

BOUNDARY_LENGTHS = [0, 1, 3, 4, 55, 56, 63, 64, 65, 119, 120, 127, 128]


def _reference_row_digest(matrices: list[np.ndarray], row: int) -> bytes:
    """hashlib over the row's values as u32 little-endian, matrices side by side."""
    return hashlib.sha256(b"".join(m[:, row].astype("<u4").tobytes() for m in matrices)).digest()


def test_sha256_matches_hashlib():
    assert sha256(b"abc") == hashlib.sha256(b"abc").digest()


@pytest.mark.parametrize("length", sorted(set(BOUNDARY_LENGTHS + list(range(0, 201, 7)))))
def test_sha256_batch_matches_hashlib_for_every_length(length):
    rng = np.random.default_rng(length)
    messages = rng.integers(0, 256, size=(3, length), dtype=np.uint8)
    digests = sha256_batch(messages)
    assert digests.shape == (3, 32) and digests.dtype == np.uint8
    for message, digest in zip(messages, digests):
        assert digest.tobytes() == hashlib.sha256(message.tobytes()).digest()


@pytest.mark.parametrize("count", [1, LANES - 1, LANES, LANES + 1, 2 * LANES + 5])
def test_sha256_batch_handles_partial_lane_groups(count):
    messages = np.random.default_rng(count).integers(0, 256, size=(count, 64), dtype=np.uint8)
    digests = sha256_batch(messages)
    for i in [0, count // 2, count - 1]:
        assert digests[i].tobytes() == hashlib.sha256(messages[i].tobytes()).digest()


def test_sha256_batch_of_no_messages_is_empty():
    assert sha256_batch(np.empty((0, 10), dtype=np.uint8)).shape == (0, 32)


@pytest.mark.parametrize("columns", [(1,), (13,), (14,), (16,), (100,), (3, 5), (2, 3, 4, 5, 6)])
@pytest.mark.parametrize("n_rows", [1, 7, LANES + 3])
def test_hash_rows_matches_hashlib_over_le_row_bytes(columns, n_rows):
    rng = np.random.default_rng(sum(columns) * 1000 + n_rows)
    matrices = [rng.integers(0, 1 << 32, size=(c, n_rows), dtype=np.uint32) for c in columns]
    digests = hash_rows(matrices)
    assert digests.shape == (n_rows, 32)
    for row in range(n_rows):
        assert digests[row].tobytes() == _reference_row_digest(matrices, row)


def test_hash_rows_reads_non_contiguous_matrices():
    matrix = np.random.default_rng(5).integers(0, 1 << 32, size=(6, 40), dtype=np.uint32)
    view = matrix[::2, ::2]
    assert np.array_equal(hash_rows([view]), hash_rows([np.ascontiguousarray(view)]))


def test_hash_rows_rejects_mismatched_heights_and_dtypes():
    with pytest.raises(ValueError, match="heights differ"):
        hash_rows([np.zeros((2, 4), np.uint32), np.zeros((2, 8), np.uint32)])
    with pytest.raises(ValueError):
        hash_rows([np.zeros((2, 4), np.int64)])
    with pytest.raises(ValueError):
        hash_rows([])


def test_hash_pairs_hashes_left_then_right():
    layer = np.random.default_rng(6).integers(0, 256, size=(2 * LANES + 6, 32), dtype=np.uint8)
    parents = hash_pairs(layer)
    assert parents.shape == (LANES + 3, 32)
    for i in range(parents.shape[0]):
        expected = hashlib.sha256(layer[2 * i].tobytes() + layer[2 * i + 1].tobytes()).digest()
        assert parents[i].tobytes() == expected


def test_hash_pairs_rejects_odd_layer():
    with pytest.raises(ValueError):
        hash_pairs(np.zeros((3, 32), np.uint8))
