"""The quartic extension F_p[x]/(x^4 - 11): kernels and array ops against Python ints."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from engine.field.babybear import P
from engine.field.ext4 import (FROBENIUS_ROOT, W, e4_add, e4_inv, e4_mul, e4_mul_base,
                               e4_pow, e4_sub, ext_add, ext_from_base, ext_frobenius,
                               ext_inv, ext_mul, ext_mul_base, ext_neg, ext_pow, ext_sub)

# A kernel compiles on its first call with new argument types: no time limit.
no_deadline = settings(deadline=None)
elements = st.integers(0, P - 1)
ext_elements = st.tuples(elements, elements, elements, elements)
nonzero_ext = ext_elements.filter(lambda a: any(a))


def ref_mul(a, b):
    """Schoolbook product of two cubic polynomials, then x^4 = W, x^5 = W·x, x^6 = W·x²."""
    prod = [0] * 7
    for i in range(4):
        for j in range(4):
            prod[i + j] += a[i] * b[j]
    return tuple((prod[i] + W * (prod[i + 4] if i + 4 < 7 else 0)) % P for i in range(4))


def ref_pow(a, e):
    result, base = (1, 0, 0, 0), tuple(a)
    while e:
        if e & 1:
            result = ref_mul(result, base)
        base = ref_mul(base, base)
        e >>= 1
    return result


def ref_inv(a):
    """a^(p^4 - 2): Fermat in the field of p^4 elements."""
    return ref_pow(a, P**4 - 2)


def _ext(values) -> np.ndarray:
    return np.array(values, dtype=np.uint32).reshape(-1, 4)


def test_modulus_is_irreducible():
    # x^4 - W is irreducible over F_p when p = 1 mod 4 and W is not a square.
    assert P % 4 == 1
    assert pow(W, (P - 1) // 2, P) == P - 1


def test_frobenius_root_is_a_primitive_fourth_root_of_unity():
    assert pow(FROBENIUS_ROOT, 4, P) == 1 and pow(FROBENIUS_ROOT, 2, P) == P - 1


@no_deadline
@given(ext_elements, ext_elements)
def test_scalar_kernels_match_reference(a, b):
    assert e4_add(a, b) == tuple((x + y) % P for x, y in zip(a, b))
    assert e4_sub(a, b) == tuple((x - y) % P for x, y in zip(a, b))
    assert e4_mul(a, b) == ref_mul(a, b)
    assert e4_mul_base(a, b[0]) == tuple(x * b[0] % P for x in a)


@no_deadline
@given(nonzero_ext)
def test_scalar_inverse_matches_fermat(a):
    assert e4_inv(a) == ref_inv(a)
    assert ref_mul(e4_inv(a), a) == (1, 0, 0, 0)


@no_deadline
@given(ext_elements, st.integers(0, 2**64 - 1))
def test_scalar_pow_matches_reference(a, e):
    assert e4_pow(a, np.uint64(e)) == ref_pow(a, e)


def test_scalar_kernels_compose_inside_other_kernels():
    @njit
    def expression(a, b):
        return e4_sub(e4_add(e4_mul(a, b), e4_mul_base(a, np.uint32(3))), e4_inv(b))

    a, b = (1, 2, 3, 4), (P - 1, 0, 5, 6)
    mixed_types = (np.uint32(1), np.uint32(2), np.uint32(3), np.uint32(4))
    expected = tuple((x + y - z) % P for x, y, z in zip(ref_mul(a, b),
                                                        [3 * v % P for v in a], ref_inv(b)))
    assert expression(a, b) == expected
    assert expression(mixed_types, b) == expected


@no_deadline
@given(st.lists(st.tuples(ext_elements, ext_elements), max_size=20))
def test_array_ops_match_reference(pairs):
    a = _ext([p[0] for p in pairs])
    b = _ext([p[1] for p in pairs])
    assert [tuple(r) for r in ext_mul(a, b).tolist()] == [ref_mul(x, y) for x, y in pairs]
    assert ext_add(a, b).tolist() == [[(u + v) % P for u, v in zip(x, y)] for x, y in pairs]
    assert ext_sub(a, b).tolist() == [[(u - v) % P for u, v in zip(x, y)] for x, y in pairs]
    assert ext_neg(a).tolist() == [[-u % P for u in x] for x, _ in pairs]
    assert ext_mul_base(a, b[:, 0]).tolist() == [[u * y[0] % P for u in x] for x, y in pairs]


@no_deadline
@given(st.lists(nonzero_ext, min_size=1, max_size=10))
def test_array_inverse_matches_reference(values):
    assert [tuple(r) for r in ext_inv(_ext(values)).tolist()] == [ref_inv(a) for a in values]


def test_inverse_of_zero_raises():
    with pytest.raises(ZeroDivisionError):
        ext_inv(_ext([(1, 2, 3, 4), (0, 0, 0, 0)]))
    with pytest.raises(ZeroDivisionError):
        ext_pow(_ext([(0, 0, 0, 0)]), -1)


@no_deadline
@given(ext_elements, st.integers(-2**130, 2**130))
def test_array_pow_matches_reference_for_any_exponent(a, e):
    if e < 0 and not any(a):
        return
    base = ref_inv(a) if e < 0 else a
    expected = ref_pow(base, abs(e) % (P**4 - 1) if any(a) else abs(e))
    assert tuple(ext_pow(_ext([a]), e)[0].tolist()) == expected


def test_group_order_and_zero_powers():
    a = _ext([(3, 1, 4, 1), (0, 0, 0, 0)])
    assert ext_pow(a, P**4 - 1).tolist() == [[1, 0, 0, 0], [0, 0, 0, 0]]
    assert ext_pow(a, 0).tolist() == [[1, 0, 0, 0], [1, 0, 0, 0]]


@no_deadline
@given(ext_elements)
def test_frobenius_is_the_p_th_power(a):
    arr = _ext([a])
    assert np.array_equal(ext_frobenius(arr), ext_pow(arr, P))
    assert np.array_equal(ext_frobenius(arr, 2), ext_pow(arr, P * P))
    assert np.array_equal(ext_frobenius(arr, 4), arr)


def test_frobenius_fixes_exactly_the_base_field():
    base = ext_from_base(np.array([0, 1, 12345], dtype=np.uint32))
    assert np.array_equal(ext_frobenius(base), base)
    assert not np.array_equal(ext_frobenius(_ext([(0, 1, 0, 0)])), _ext([(0, 1, 0, 0)]))


def test_leading_axes_broadcast():
    a = np.arange(2 * 3 * 4, dtype=np.uint32).reshape(2, 3, 4)
    one = np.array([1, 0, 0, 0], dtype=np.uint32)
    assert np.array_equal(ext_mul(a, one), a)
    assert ext_mul(a[:, :1], a).shape == (2, 3, 4)
    assert ext_mul_base(a, np.uint32(2)).tolist() == (a * 2).tolist()
    assert ext_from_base(np.array([[5]], dtype=np.uint32)).tolist() == [[[5, 0, 0, 0]]]


def test_wrong_trailing_axis_is_refused():
    with pytest.raises(ValueError):
        ext_mul(np.zeros((2, 3), dtype=np.uint32), np.zeros((2, 3), dtype=np.uint32))
    with pytest.raises(ValueError):
        ext_add(np.full((1, 4), P, dtype=np.uint32), np.zeros((1, 4), dtype=np.uint32))
