"""Shoup multiplication intrinsics (32-bit lanes) against Python ints."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from engine.field.babybear import P
from engine.field.shoup import dif_butterfly, mul_shoup, neg_if, shoup_companion

no_deadline = settings(deadline=None)
elements = st.integers(0, P - 1)
EDGES = [0, 1, 2, P // 2, P // 2 + 1, P - 2, P - 1]


@njit(cache=True)
def _mul_all(v, w, wq, out):
    # A loop, as in the NTT, so the vectorized code path is what gets tested.
    for i in range(v.size):
        out[i] = mul_shoup(v[i], w[i], wq[i])


@njit(cache=True)
def _butterfly_all(a, b, w, wq, sums, products):
    for i in range(a.size):
        sums[i], products[i] = dif_butterfly(a[i], b[i], w[i], wq[i])


@njit(cache=True)
def _neg_all(v, flags, out):
    for i in range(v.size):
        out[i] = neg_if(v[i], flags[i])


def _grid():
    pairs = [(a, b) for a in EDGES for b in EDGES]
    return (np.array([p[0] for p in pairs], np.uint32),
            np.array([p[1] for p in pairs], np.uint32))


def test_companion_is_floor_of_w_times_two_to_the_32_over_p():
    w = np.array(EDGES, dtype=np.uint32)
    assert shoup_companion(w).tolist() == [(x << 32) // P for x in EDGES]
    assert int(shoup_companion(7)) == (7 << 32) // P


def _check_mul(v: np.ndarray, w: np.ndarray):
    out = np.empty_like(v)
    _mul_all(v, w, shoup_companion(w), out)
    assert out.tolist() == [int(x) * int(y) % P for x, y in zip(v, w)]


def _check_butterfly(a: np.ndarray, b: np.ndarray, w: np.ndarray):
    sums, products = np.empty_like(a), np.empty_like(a)
    _butterfly_all(a, b, w, shoup_companion(w), sums, products)
    assert sums.tolist() == [(int(x) + int(y)) % P for x, y in zip(a, b)]
    assert products.tolist() == [(int(x) - int(y)) * int(t) % P
                                 for x, y, t in zip(a, b, w)]


def test_mul_shoup_at_the_edges():
    v, w = _grid()
    _check_mul(v, w)


def test_butterfly_at_the_edges():
    a, b = _grid()
    _check_butterfly(a, b, b[::-1].copy())


@no_deadline
@given(st.lists(st.tuples(elements, elements, elements), min_size=1, max_size=64))
def test_mul_and_butterfly_match_python(triples):
    a, b, w = (np.array(col, dtype=np.uint32) for col in zip(*triples))
    _check_mul(a, w)
    _check_butterfly(a, b, w)


def test_neg_if_negates_only_when_asked():
    v = np.array(EDGES * 2, dtype=np.uint32)
    flags = np.array([True] * len(EDGES) + [False] * len(EDGES))
    out = np.empty_like(v)
    _neg_all(v, flags, out)
    assert out.tolist() == [-x % P for x in EDGES] + EDGES
