"""Horner evaluation at base-field and extension-field points against Python ints."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.field.babybear import P, bb_random
from engine.field.scalar import Ext
from engine.poly.evaluate import evaluate_poly, evaluate_poly_ext
from tests.poly.reference import evaluate

no_deadline = settings(deadline=None)
elements = st.integers(0, P - 1)


def _ext_reference(coeffs, z: Ext) -> Ext:
    """``Σ_i coeffs[i] · z^i`` with the verifier's Ext class."""
    return sum((int(c) * z ** i for i, c in enumerate(coeffs)), Ext.ZERO)


@no_deadline
@given(st.lists(elements, max_size=30), st.lists(elements, max_size=10))
def test_base_points_match_python(coeffs, points):
    got = evaluate_poly(np.array(coeffs, np.uint32), np.array(points, np.uint32))
    assert got.tolist() == [evaluate(coeffs, x) for x in points]


def test_several_polynomials_and_point_shapes():
    coeffs = bb_random(np.random.default_rng(1), (3, 17))
    points = bb_random(np.random.default_rng(2), (2, 5))
    got = evaluate_poly(coeffs, points)
    assert got.shape == (3, 2, 5)
    for j in range(3):
        for a in range(2):
            for b in range(5):
                assert got[j, a, b] == evaluate(coeffs[j].tolist(), int(points[a, b]))
    assert evaluate_poly(coeffs[0], 7).shape == ()


@no_deadline
@given(st.lists(elements, max_size=20), st.tuples(elements, elements, elements, elements))
def test_extension_points_match_the_ext_class(coeffs, z):
    got = evaluate_poly_ext(np.array(coeffs, np.uint32), np.array(z, np.uint32))
    assert tuple(got.tolist()) == _ext_reference(coeffs, Ext(*z)).coeffs


def test_extension_points_for_several_polynomials():
    coeffs = bb_random(np.random.default_rng(3), (2, 9))
    zs = bb_random(np.random.default_rng(4), (3, 4))
    got = evaluate_poly_ext(coeffs, zs)
    assert got.shape == (2, 3, 4)
    for j in range(2):
        for k in range(3):
            assert tuple(got[j, k].tolist()) == _ext_reference(coeffs[j], Ext(*zs[k])).coeffs


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        evaluate_poly(np.zeros((2, 2, 2), np.uint32), 1)
    with pytest.raises(ValueError):
        evaluate_poly_ext(np.zeros(4, np.uint32), np.zeros(3, np.uint32))


def test_large_evaluations_take_the_parallel_kernels_and_agree():
    # 3 polynomials of 2^15 terms at 2 points: above PARALLEL_MIN_TERMS.
    coeffs = bb_random(np.random.default_rng(5), (3, 1 << 15))
    points = bb_random(np.random.default_rng(6), 2)
    assert evaluate_poly(coeffs, points).tolist() == [
        [evaluate(c.tolist(), int(x)) for x in points] for c in coeffs]
    z = bb_random(np.random.default_rng(7), (2, 4))
    got = evaluate_poly_ext(coeffs, z)
    for j in (0, 2):
        acc = Ext.ZERO
        for c in reversed(coeffs[j].tolist()):
            acc = acc * Ext(*z[1]) + c
        assert tuple(got[j, 1].tolist()) == acc.coeffs
