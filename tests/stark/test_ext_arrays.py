"""The verifier's NumPy extension arithmetic against ``Ext``, on random elements."""
from __future__ import annotations

import numpy as np
import pytest

from engine.field.babybear import P
from engine.field.scalar import Ext
from engine.stark import ext_arrays

RNG = np.random.default_rng(21)
# Random elements, and the extremes: 0, 1, P - 1 in every coordinate.
A = np.concatenate([RNG.integers(0, P, (200, 4)), [[P - 1] * 4, [0, 0, 0, 1], [1, 0, 0, 0]]])
B = np.concatenate([RNG.integers(0, P, (200, 4)), [[P - 1] * 4, [P - 1, 0, 0, 0], [0] * 4]])


def _exts(rows):
    return [Ext(*map(int, r)) for r in rows]


@pytest.mark.parametrize("name, reference", [("add", lambda a, b: a + b),
                                             ("sub", lambda a, b: a - b),
                                             ("mul", lambda a, b: a * b)])
def test_binary_operations_match_ext(name, reference):
    result = getattr(ext_arrays, name)(A.astype(np.uint64), B.astype(np.uint64))
    assert result.dtype == np.uint64
    assert _exts(result) == [reference(a, b) for a, b in zip(_exts(A), _exts(B))]


def test_mul_broadcasts_one_element_over_many():
    b = Ext(5, 6, 7, 8)
    result = ext_arrays.mul(A.astype(np.uint64), ext_arrays.from_ext(b))
    assert _exts(result) == [a * b for a in _exts(A)]


def test_mul_base_matches_ext():
    s = RNG.integers(0, P, len(A))
    result = ext_arrays.mul_base(A.astype(np.uint64), s.astype(np.uint64))
    assert _exts(result) == [a * int(v) for a, v in zip(_exts(A), s)]


def test_inverse_matches_ext_and_refuses_zero():
    nonzero = A[:-3].astype(np.uint64)
    assert _exts(ext_arrays.inverse(nonzero)) == [a.inverse() for a in _exts(nonzero)]
    with pytest.raises(ZeroDivisionError):
        ext_arrays.inverse(np.zeros((2, 4), dtype=np.uint64))


def test_horner_at_base_points_matches_ext():
    coeffs = A[:8].astype(np.uint64)
    points = RNG.integers(0, P, 30)
    result = ext_arrays.horner_at_base_points(coeffs, points)
    for x, value in zip(points.tolist(), _exts(result)):
        expected = Ext.ZERO
        for c in reversed(_exts(coeffs)):
            expected = expected * x + c
        assert value == expected
