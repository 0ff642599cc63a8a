"""BabyBear: constants, Numba scalar kernels and array operations against Python ints."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from engine.field.babybear import (GENERATOR, P, TWO_ADIC_ROOT, TWO_ADICITY, addmod,
                                   as_field_array, bb_add, bb_batch_inv, bb_inv, bb_mul,
                                   bb_neg, bb_pow, bb_powers, bb_random, bb_sub, invmod,
                                   mulmod, powmod, reduce_to_field, submod,
                                   two_adic_generator)

# A kernel compiles on its first call with new argument types: no time limit.
no_deadline = settings(deadline=None)
elements = st.integers(0, P - 1)
nonzero = st.integers(1, P - 1)
vectors = st.lists(elements, min_size=0, max_size=40)


def _arr(values) -> np.ndarray:
    return np.array(values, dtype=np.uint32)


# --- Constants ---------------------------------------------------------------------------

def test_prime_is_babybear():
    assert P == 2**31 - 2**27 + 1 == 0x78000001
    assert all(pow(a, P - 1, P) == 1 for a in (2, 3, 5, 7, 31))  # Fermat witnesses


def test_generator_generates_the_multiplicative_group():
    # 31 has order p - 1 iff 31^((p-1)/q) != 1 for each prime q | p - 1 = 2^27 · 3 · 5.
    assert P - 1 == 2**27 * 15
    assert all(pow(GENERATOR, (P - 1) // q, P) != 1 for q in (2, 3, 5))


def test_two_adic_root_has_order_two_to_the_27():
    assert TWO_ADICITY == 27
    assert TWO_ADIC_ROOT == pow(GENERATOR, (P - 1) >> 27, P) == 0x1A427A41
    assert pow(TWO_ADIC_ROOT, 1 << 26, P) == P - 1


@pytest.mark.parametrize("log_n", range(28))
def test_two_adic_generator_has_exact_order(log_n):
    g = two_adic_generator(log_n)
    assert pow(g, 1 << log_n, P) == 1
    if log_n:
        assert pow(g, 1 << (log_n - 1), P) == P - 1


def test_two_adic_generators_are_consistent():
    for log_n in range(1, 28):
        assert pow(two_adic_generator(log_n), 2, P) == two_adic_generator(log_n - 1)


@pytest.mark.parametrize("log_n", [-1, 28])
def test_two_adic_generator_rejects_impossible_orders(log_n):
    with pytest.raises(ValueError):
        two_adic_generator(log_n)


# --- Scalar kernels ----------------------------------------------------------------------

@no_deadline
@given(elements, elements)
def test_scalar_kernels_match_python_ints(a, b):
    assert addmod(a, b) == (a + b) % P
    assert submod(a, b) == (a - b) % P
    assert mulmod(a, b) == a * b % P


@no_deadline
@given(elements, st.integers(0, 2**64 - 1))
def test_powmod_matches_python_pow(a, e):
    assert powmod(a, np.uint64(e)) == pow(a, e, P)


@no_deadline
@given(nonzero)
def test_invmod_is_the_inverse(a):
    assert invmod(a) * a % P == 1


def test_invmod_of_zero_is_zero_inside_kernels():
    assert invmod(0) == 0


def test_scalar_kernels_work_inside_other_kernels_with_mixed_integer_types():
    @njit
    def combine(a, b):
        return submod(addmod(mulmod(a, b), powmod(a, 3)), invmod(b))

    def expected(a, b):
        return (a * b + pow(a, 3, P) - pow(b, P - 2, P)) % P

    assert combine(np.uint32(123456789), np.int64(987654321)) == expected(123456789,
                                                                          987654321)
    assert combine(np.uint64(P - 1), np.uint32(P - 1)) == expected(P - 1, P - 1)


@no_deadline
@given(elements, elements)
def test_scalar_kernels_return_canonical_values_at_the_edges(a, b):
    for value in (addmod(a, b), submod(a, b), mulmod(a, b)):
        assert 0 <= int(value) < P


# --- Array operations ----------------------------------------------------------------------

@no_deadline
@given(vectors.flatmap(lambda a: st.tuples(st.just(a), st.lists(elements, min_size=len(a),
                                                                 max_size=len(a)))))
def test_array_ops_match_python_ints(pair):
    a, b = pair
    assert bb_add(_arr(a), _arr(b)).tolist() == [(x + y) % P for x, y in zip(a, b)]
    assert bb_sub(_arr(a), _arr(b)).tolist() == [(x - y) % P for x, y in zip(a, b)]
    assert bb_mul(_arr(a), _arr(b)).tolist() == [x * y % P for x, y in zip(a, b)]
    assert bb_neg(_arr(a)).tolist() == [-x % P for x in a]


def test_array_ops_return_uint32():
    for result in (bb_add([1], [2]), bb_mul([1], [2]), bb_neg([1]), bb_inv([3]),
                   bb_pow([3], 5), bb_batch_inv([3])):
        assert result.dtype == np.uint32


def test_array_ops_broadcast_like_numpy():
    a = np.arange(12, dtype=np.uint32).reshape(3, 4)
    col = _arr([[P - 1], [2], [3]])
    assert bb_mul(a, col).tolist() == [[x * int(c[0]) % P for x in row]
                                       for row, c in zip(a.tolist(), col.tolist())]
    assert bb_add(a, 5).shape == (3, 4)
    assert bb_add(P - 1, P - 1) == P - 2


@no_deadline
@given(st.lists(elements, max_size=20), st.integers(-2**70, 2**70))
def test_bb_pow_matches_python_pow_for_any_exponent(a, e):
    if e < 0 and 0 in a:
        with pytest.raises(ZeroDivisionError):
            bb_pow(_arr(a), e)
        return
    assert bb_pow(_arr(a), e).tolist() == [pow(x, e, P) for x in a]


def test_zero_to_a_multiple_of_the_group_order_stays_zero():
    assert bb_pow([0, 1, 2], P - 1).tolist() == [0, 1, 1]
    assert bb_pow([0], 0).tolist() == [1]


@no_deadline
@given(st.lists(nonzero, max_size=50))
def test_inverse_and_batch_inverse_match_python(a):
    expected = [pow(x, P - 2, P) for x in a]
    assert bb_inv(_arr(a)).tolist() == expected
    assert bb_batch_inv(_arr(a)).tolist() == expected


def test_batch_inverse_keeps_the_shape():
    a = np.arange(1, 25, dtype=np.uint32).reshape(2, 3, 4)
    assert np.array_equal(bb_batch_inv(a), bb_inv(a))
    assert bb_batch_inv(np.zeros((0, 3), dtype=np.uint32)).shape == (0, 3)


@pytest.mark.parametrize("inverse", [bb_inv, bb_batch_inv])
def test_inverse_of_zero_raises(inverse):
    with pytest.raises(ZeroDivisionError):
        inverse(_arr([5, 0, 7]))


@pytest.mark.parametrize("n", [0, 1, 2, 1023, 1024, 1025, 3000])
def test_powers_match_python_pow(n):
    assert bb_powers(7, n).tolist() == [pow(7, i, P) for i in range(n)]


def test_inputs_out_of_range_are_refused():
    with pytest.raises(ValueError):
        bb_add(_arr([P]), _arr([0]))
    with pytest.raises(ValueError):
        bb_mul([-1], [1])
    with pytest.raises(TypeError):
        bb_add(np.array([1.5]), np.array([1.0]))
    with pytest.raises(ValueError):
        as_field_array([2**70])


def test_reduce_to_field_accepts_any_integers():
    values = [-1, 0, P, 2**70, -(2**70), 5]
    assert reduce_to_field(values).tolist() == [v % P for v in values]
    assert reduce_to_field(np.array([-3, P + 4], dtype=np.int64)).tolist() == [P - 3, 4]
    assert reduce_to_field(np.array([2**64 - 1], dtype=np.uint64)).tolist() == [
        (2**64 - 1) % P]
    with pytest.raises(TypeError):
        reduce_to_field([0.5])


# --- Randomness ------------------------------------------------------------------------------

def test_random_elements_are_canonical_with_the_secure_default():
    values = bb_random(None, (64, 64))
    assert values.dtype == np.uint32 and values.shape == (64, 64)
    assert int(values.max()) < P
    # 4096 uniform draws: all distinct with overwhelming probability, both halves hit.
    assert np.unique(values).size > 4000
    assert (values < P // 2).sum() > 1500 and (values >= P // 2).sum() > 1500


def test_two_secure_draws_differ():
    assert not np.array_equal(bb_random(None, 8), bb_random(None, 8))


def test_seeded_generator_is_reproducible():
    a = bb_random(np.random.default_rng(7), (3, 5))
    b = bb_random(np.random.default_rng(7), (3, 5))
    assert np.array_equal(a, b) and int(a.max()) < P


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 5))
def test_random_shape_may_be_empty_or_scalar(k):
    assert bb_random(None, (k,)).shape == (k,)
    assert bb_random(None, ()).shape == ()
