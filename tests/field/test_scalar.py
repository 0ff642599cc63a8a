"""The verifier's pure-Python Fp and Ext: arithmetic, mixing rules, equality, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.field.babybear import P, bb_add, bb_inv, bb_mul, bb_sub
from engine.field.ext4 import ext_add, ext_frobenius, ext_inv, ext_mul, ext_pow, ext_sub
from engine.field.scalar import Ext, Fp

# A kernel compiles on its first call with new argument types: no time limit.
no_deadline = settings(deadline=None)
elements = st.integers(0, P - 1)
ext_tuples = st.tuples(elements, elements, elements, elements)


def _arr(value: Ext) -> np.ndarray:
    return np.array([value.coeffs], dtype=np.uint32)


@no_deadline
@given(elements, elements)
def test_fp_matches_array_ops(a, b):
    x, y = Fp(a), Fp(b)
    arr_a, arr_b = np.array([a], np.uint32), np.array([b], np.uint32)
    assert (x + y).value == bb_add(arr_a, arr_b)[0]
    assert (x - y).value == bb_sub(arr_a, arr_b)[0]
    assert (x * y).value == bb_mul(arr_a, arr_b)[0]
    assert (-x).value == (-a) % P
    if b:
        assert y.inverse().value == bb_inv(arr_b)[0]
        assert (x / y) * y == x


@no_deadline
@given(ext_tuples, ext_tuples)
def test_ext_matches_array_ops(a, b):
    x, y = Ext(*a), Ext(*b)
    assert np.array_equal(_arr(x * y), ext_mul(_arr(x), _arr(y)))
    assert np.array_equal(_arr(x + y), ext_add(_arr(x), _arr(y)))
    assert np.array_equal(_arr(x - y), ext_sub(_arr(x), _arr(y)))
    assert np.array_equal(_arr(x.frobenius()), ext_frobenius(_arr(x)))
    if any(b):
        assert np.array_equal(_arr(y.inverse()), ext_inv(_arr(y)))
        assert (x / y) * y == x


@no_deadline
@given(ext_tuples, st.integers(-50, 2**70))
def test_ext_power_matches_array_pow(a, e):
    x = Ext(*a)
    if e < 0 and not any(a):
        with pytest.raises(ZeroDivisionError):
            x ** e
        return
    assert np.array_equal(_arr(x ** e), ext_pow(_arr(x), e))


@no_deadline
@given(elements, st.integers(-2**40, 2**40))
def test_fp_power_matches_python_pow(a, e):
    if e < 0 and a == 0:
        return
    assert (Fp(a) ** e).value == pow(a, e, P)


def test_inverse_of_zero_raises():
    with pytest.raises(ZeroDivisionError):
        Fp(0).inverse()
    with pytest.raises(ZeroDivisionError):
        Ext(0, 0, 0, 0).inverse()
    with pytest.raises(ZeroDivisionError):
        Fp(3) / 0
    with pytest.raises(ZeroDivisionError):
        Ext(1, 2, 3, 4) / Ext.ZERO


def test_ints_and_fp_mix_on_either_side():
    x = Fp(5)
    assert 3 + x == x + 3 == Fp(8)
    assert 3 - x == Fp(-2) and x - 3 == Fp(2)
    assert 2 * x == x * 2 == Fp(10)
    assert 1 / Fp(2) == Fp(2).inverse() and Fp(1) / 2 == Fp(2).inverse()
    assert x + np.uint32(1) == Fp(6)


def test_base_elements_mix_into_the_extension():
    e = Ext(1, 2, 3, 4)
    for base in (Fp(7), 7):
        assert base + e == e + base == Ext(8, 2, 3, 4)
        assert base - e == Ext(6, -2, -3, -4) and e - base == Ext(-6, 2, 3, 4)
        assert base * e == e * base == Ext(7, 14, 21, 28)
        assert base / e * e == Ext.from_base(7)
    assert isinstance(Fp(1) + e, Ext) and isinstance(e * Fp(2), Ext)


def test_generic_expressions_work_with_python_operators():
    def poly(x, y):
        return x * x * y - 3 * x + y * 2 - 1

    assert poly(Fp(2), Fp(5)) == Fp(4 * 5 - 6 + 10 - 1)
    assert poly(Ext.from_base(2), Fp(5)) == Ext.from_base(23)
    z = Ext(0, 1, 0, 0)
    assert z ** 4 == Ext.from_base(11)  # x^4 = W


def test_constructors_reduce_and_from_canonical_refuses():
    assert Fp(P + 3) == Fp(3) and Fp(-1).value == P - 1
    assert Ext(P, -1, 0, 2 * P).coeffs == (0, P - 1, 0, 0)
    assert Fp.from_canonical(P - 1).value == P - 1
    with pytest.raises(ValueError):
        Fp.from_canonical(P)
    with pytest.raises(ValueError):
        Ext.from_canonical([1, 2, 3, P])
    with pytest.raises(ValueError):
        Ext.from_canonical([1, 2, 3])
    assert Ext.from_canonical(np.array([1, 2, 3, 4], np.uint32)) == Ext(1, 2, 3, 4)
    assert np.array_equal(Ext(1, 2, 3, 4).to_array(), np.array([1, 2, 3, 4], np.uint32))


def test_equal_values_hash_equally_across_types():
    assert Fp(3) == 3 == Ext.from_base(3) == Ext(3, 0, 0, 0)
    assert hash(Fp(3)) == hash(3) == hash(Ext.from_base(3))
    assert len({Fp(3), Ext(3), 3, Ext(3, 1)}) == 2
    assert Ext(3, 1) != 3 and Fp(3) != Fp(4) and Fp(3) != "3"
    assert Ext.ONE == 1 and Ext.ZERO == 0 and Fp.ONE == 1 and Fp.ZERO == 0


def test_values_are_immutable():
    x, e = Fp(3), Ext(1, 2, 3, 4)
    with pytest.raises(AttributeError):
        x.value = 4
    with pytest.raises(AttributeError):
        e.coeffs = (0, 0, 0, 0)
    with pytest.raises(AttributeError):
        x.other = 1


def test_repr_and_truthiness():
    assert repr(Fp(5)) == "Fp(5)" and repr(Ext(1, 2, 3, 4)) == "Ext(1, 2, 3, 4)"
    assert not Fp(0) and Fp(1) and not Ext.ZERO and Ext(0, 0, 0, 1)
    assert int(Fp(9)) == 9
