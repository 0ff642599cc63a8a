"""Twiddle tables against direct powers; the cache stays small and can be cleared."""
from __future__ import annotations

import numpy as np
import pytest

from engine.field.babybear import P, two_adic_generator
from engine.field.shoup import shoup_companion
from engine.poly.ntt_kernels import LANES
from engine.poly.twiddles import (bit_reversal, clear_twiddle_cache, four_step_tables,
                                  twiddle_tables)


def test_roots_table_holds_every_stage():
    roots, companions = twiddle_tables(6)
    for log_h in range(6):
        h = 1 << log_h
        w = two_adic_generator(log_h + 1)
        assert roots[h:2 * h].tolist() == [pow(w, j, P) for j in range(h)]
    assert np.array_equal(companions, shoup_companion(roots))


def test_tables_are_read_only():
    roots, _ = twiddle_tables(4)
    with pytest.raises(ValueError):
        roots[1] = 0
    with pytest.raises(ValueError):
        four_step_tables(6).lane_tw[0] = 0


@pytest.mark.parametrize("log_n", [1, 4, 9, 12])
def test_four_step_factors_are_powers_of_the_root(log_n):
    t = four_step_tables(log_n)
    assert (t.log_r, t.log_c) == (log_n // 2, log_n - log_n // 2)
    w = two_adic_generator(log_n)
    c_size = 1 << t.log_c
    for pos in range(c_size):
        k2 = int(t.rev_c[pos])
        assert t.lane_tw[pos * LANES:(pos + 1) * LANES].tolist() == [
            pow(w, c * k2, P) for c in range(LANES)]
        assert t.block_tw[pos::c_size].tolist() == [
            pow(w, b * LANES * k2, P) for b in range(max(1, (1 << t.log_r) // LANES))]
    assert np.array_equal(t.block_tw_q, shoup_companion(t.block_tw))


@pytest.mark.parametrize("log_n", [0, 1, 5])
def test_bit_reversal_reverses_the_bits(log_n):
    expected = [int(format(i, f"0{log_n}b")[::-1], 2) if log_n else 0
                for i in range(1 << log_n)]
    assert bit_reversal(log_n).tolist() == expected


def test_clearing_the_cache_rebuilds_identical_tables():
    before = four_step_tables(8).block_tw.copy()
    clear_twiddle_cache()
    assert np.array_equal(four_step_tables(8).block_tw, before)


def test_sizes_beyond_the_two_adicity_are_refused():
    with pytest.raises(ValueError):
        twiddle_tables(28)
    with pytest.raises(ValueError):
        four_step_tables(28)
