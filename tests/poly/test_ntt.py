"""NTT, inverse NTT, coset transforms and LDE against Python-int references."""
from __future__ import annotations

import numpy as np
import pytest

from engine.field.babybear import GENERATOR, P, bb_random, two_adic_generator
from engine.field.shoup import shoup_companion
from engine.poly import ntt_kernels
from engine.poly.ntt import (base_columns_to_ext, coset_intt, coset_lde, coset_ntt,
                             ext_coset_lde, ext_intt, ext_ntt, ext_to_base_columns,
                             interpolate, intt, ntt)
from engine.poly.twiddles import four_step_tables
from tests.poly.reference import (coset_points, evaluate, naive_intt, naive_ntt,
                                  recursive_ntt)

SMALL_LOGS = range(7)  # sizes 1, 2, 4, ..., 64
_NONE = (np.zeros(0, np.uint32), np.zeros(0, np.uint32))


def _random(shape, seed=0) -> np.ndarray:
    return bb_random(np.random.default_rng(seed), shape)


def _rows(matrix: np.ndarray) -> list[list[int]]:
    return [list(map(int, row)) for row in matrix]


# --- Forward and inverse transforms ----------------------------------------------------

@pytest.mark.parametrize("log_n", SMALL_LOGS)
def test_ntt_matches_naive_dft(log_n):
    columns = _random((3, 1 << log_n), seed=log_n)
    assert _rows(ntt(columns)) == [naive_ntt(c) for c in _rows(columns)]


@pytest.mark.parametrize("log_n", SMALL_LOGS)
def test_intt_matches_naive_inverse_dft(log_n):
    columns = _random((3, 1 << log_n), seed=log_n + 10)
    assert _rows(intt(columns)) == [naive_intt(c) for c in _rows(columns)]
    assert np.array_equal(interpolate(columns), intt(columns))


@pytest.mark.parametrize("log_n", [7, 8, 9, 10, 11, 12, 13])
def test_ntt_matches_recursive_reference_at_larger_sizes(log_n):
    # Odd and even logs: the four-step split has R = C or R = C/2; from R = 2·LANES
    # (2^12) on, pass 1 has several scratch blocks per column.
    column = _random(1 << log_n, seed=log_n)
    assert ntt(column).tolist() == recursive_ntt(column.tolist())


def test_recursive_reference_agrees_with_naive_dft():
    column = _random(32, seed=3).tolist()
    assert recursive_ntt(column) == naive_ntt(column)


def test_intt_inverts_ntt_at_4096():
    columns = _random((4, 1 << 12), seed=1)
    assert np.array_equal(intt(ntt(columns)), columns)
    assert np.array_equal(ntt(intt(columns)), columns)


def test_one_dimensional_input_is_one_column():
    column = _random(16)
    assert ntt(column).shape == (16,)
    assert np.array_equal(ntt(column), ntt(column[None, :])[0])
    assert np.array_equal(intt(column), intt(column[None, :])[0])


def test_zero_columns_are_fine():
    assert ntt(np.zeros((0, 8), dtype=np.uint32)).shape == (0, 8)
    assert coset_lde(np.zeros((0, 8), dtype=np.uint32), 2).shape == (0, 32)


def test_inputs_are_not_modified():
    columns = _random((2, 64))
    before = columns.copy()
    ntt(columns), intt(columns), coset_lde(columns, 2), coset_intt(columns, 5)
    assert np.array_equal(columns, before)


# --- Cosets and low-degree extension ---------------------------------------------------------

@pytest.mark.parametrize("log_n", SMALL_LOGS)
@pytest.mark.parametrize("log_blowup", [0, 1, 2, 3])
def test_coset_lde_matches_direct_evaluation(log_n, log_blowup):
    evals = _random((2, 1 << log_n), seed=log_n * 7 + log_blowup)
    coeffs = [naive_intt(c) for c in _rows(evals)]
    points = coset_points(1 << (log_n + log_blowup), GENERATOR)
    expected = [[evaluate(c, x) for x in points] for c in coeffs]
    assert _rows(coset_lde(evals, log_blowup)) == expected


def test_coset_lde_with_another_shift_and_a_large_size():
    evals = _random((2, 1 << 10), seed=5)
    coeffs = intt(evals)
    lde = coset_lde(evals, 2, shift=7)
    points = coset_points(1 << 12, 7)
    for k in (0, 1, 2, 1000, 4095):
        assert [int(v) for v in lde[:, k]] == [evaluate(c, points[k]) for c in _rows(coeffs)]


def test_lde_agrees_with_the_original_evaluations_on_the_subgroup():
    # With shift 1 the extended domain contains H: every 2^log_blowup-th point is H.
    evals = _random((3, 256), seed=9)
    assert np.array_equal(coset_lde(evals, 3, shift=1)[:, ::8], evals)


@pytest.mark.parametrize("log_n", [0, 1, 3, 6, 9])
def test_coset_ntt_evaluates_coefficients_on_the_coset(log_n):
    coeffs = _random((2, 1 << log_n), seed=log_n)
    points = coset_points(2 << log_n, 11)
    expected = [[evaluate(c, x) for x in points] for c in _rows(coeffs)]
    assert _rows(coset_ntt(coeffs, 11, log_blowup=1)) == expected


@pytest.mark.parametrize("log_n", [0, 2, 5, 10])
def test_coset_intt_inverts_coset_ntt(log_n):
    coeffs = _random((2, 1 << log_n), seed=log_n)
    assert np.array_equal(coset_intt(coset_ntt(coeffs, 13), 13), coeffs)
    assert np.array_equal(coset_intt(coset_ntt(coeffs), GENERATOR), coeffs)


# --- Extension-field columns -------------------------------------------------------------

def test_ext_columns_transform_coordinate_by_coordinate():
    ext = _random((3, 32, 4), seed=2)
    for transform, ext_transform in ((ntt, ext_ntt), (intt, ext_intt)):
        result = ext_transform(ext)
        assert result.shape == (3, 32, 4)
        for j in range(3):
            for d in range(4):
                assert np.array_equal(result[j, :, d], transform(ext[j, :, d]))
    single = ext[0]
    assert np.array_equal(ext_ntt(single), ext_ntt(ext)[0])


def test_ext_coset_lde_extends_each_coordinate():
    ext = _random((2, 16, 4), seed=4)
    lde = ext_coset_lde(ext, 2)
    assert lde.shape == (2, 64, 4)
    for j in range(2):
        for d in range(4):
            assert np.array_equal(lde[j, :, d], coset_lde(ext[j, :, d], 2))
    assert ext_coset_lde(ext[1], 2).shape == (64, 4)


def test_ext_and_base_column_layouts_round_trip():
    ext = _random((3, 8, 4), seed=6)
    base = ext_to_base_columns(ext)
    assert base.shape == (12, 8) and base.flags.c_contiguous
    assert np.array_equal(base[4 * 2 + 3], ext[2, :, 3])
    assert np.array_equal(base_columns_to_ext(base), ext)


# --- Threading strategies ----------------------------------------------------------------------

@pytest.mark.parametrize("log_n", [1, 5, 9, 12])
@pytest.mark.parametrize("columns", [1, 3])
def test_every_threading_strategy_gives_the_same_transform(log_n, columns):
    src = _random((columns, 1 << log_n), seed=log_n)
    expected = [recursive_ntt(c) for c in _rows(src)]
    tables = four_step_tables(log_n)
    for threads in (1, 2, 8):  # serial; by columns or by blocks; by blocks
        dst = np.empty_like(src)
        ntt_kernels.transform(src, dst, src.shape[1], False, _NONE, _NONE, tables, threads)
        assert _rows(dst) == expected


@pytest.mark.parametrize("columns", [1, 3])
def test_every_threading_strategy_gives_the_same_lde(columns):
    src = _random((columns, 1 << 7), seed=columns)
    expected = coset_lde(src, 2)
    n_inv = pow(128, P - 2, P)
    scale = np.array([pow(GENERATOR, i, P) * n_inv % P for i in range(128)], np.uint32)
    for threads in (1, 2, 8):
        dst = np.empty((columns, 512), dtype=np.uint32)
        ntt_kernels.low_degree_extend(src, dst, (scale, shoup_companion(scale)),
                                      four_step_tables(7), four_step_tables(9), threads)
        assert np.array_equal(dst, expected)


def test_large_inputs_take_the_parallel_path_and_agree():
    column = _random(1 << 18, seed=8)
    assert column.size >= 1 << 18  # PARALLEL_MIN_POINTS
    assert np.array_equal(intt(ntt(column)), column)
    x = pow(two_adic_generator(18), 12345, P)
    assert int(ntt(column)[12345]) == evaluate(column.tolist(), x)


# --- Output buffers and errors ------------------------------------------------------------------

def test_out_receives_the_result():
    columns = _random((2, 64))
    out = np.empty_like(columns)
    assert ntt(columns, out=out) is out
    assert np.array_equal(out, ntt(columns))
    lde_out = np.empty((2, 256), dtype=np.uint32)
    assert coset_lde(columns, 2, out=lde_out) is lde_out
    assert np.array_equal(lde_out, coset_lde(columns, 2))
    ntt_out = np.empty((2, 256), dtype=np.uint32)
    assert coset_ntt(columns, 7, 2, out=ntt_out) is ntt_out
    assert np.array_equal(ntt_out, coset_ntt(columns, 7, 2))


def test_out_must_match_and_not_overlap():
    columns = _random((2, 64))
    with pytest.raises(ValueError):
        ntt(columns, out=columns)
    with pytest.raises(ValueError):
        ntt(columns, out=np.empty((2, 32), dtype=np.uint32))
    with pytest.raises(ValueError):
        intt(columns, out=np.empty((2, 64), dtype=np.int64))


@pytest.mark.parametrize("bad", [np.zeros(3, np.uint32), np.zeros(0, np.uint32),
                                 np.zeros((2, 2, 2), np.uint32), np.full(4, P, np.uint32)])
def test_bad_columns_are_refused(bad):
    with pytest.raises(ValueError):
        ntt(bad)


def test_bad_coset_parameters_are_refused():
    column = _random(8)
    with pytest.raises(ValueError):
        coset_lde(column, -1)
    with pytest.raises(ValueError):
        coset_lde(column, 2, shift=0)
    with pytest.raises(ValueError):
        coset_lde(column, 26)  # 8 · 2^26 > 2^27
    with pytest.raises(TypeError):
        ntt(np.zeros(4, dtype=np.float64))
