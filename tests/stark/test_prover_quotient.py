"""The quotient: values over the LDE coset against a NumPy reference, randomized chunks of
H/2 that still sum to Q, and the verifier's recombination at ζ."""
from __future__ import annotations

import numpy as np
import pytest

from engine.field.babybear import GENERATOR, P, bb_random
from engine.field.scalar import Ext
from engine.poly.ntt import coset_intt, coset_lde, coset_ntt, ext_to_base_columns
from engine.stark.air import TraceShape
from engine.stark.constraints import evaluate_constraints_numpy
from engine.stark.examples import fibonacci, journal, lookup, permutation, wide
from engine.stark.quotient import (
    chunk_count,
    chunk_size,
    quotient_values,
    recombine,
    split_quotient,
)
from engine.stark.selectors import quotient_degree, selector_vectors, vanishing_on_coset

SHAPE = TraceShape(64, 10)
LOG_BLOWUP = 2
ALPHA = Ext(5, 6, 7, 8)


def _horner(coeffs, x):
    total = Ext.ZERO
    for c in reversed(coeffs):
        total = total * x + c
    return total


def _ext_coeffs(rows: np.ndarray) -> list[Ext]:
    """Four base coefficient rows (coordinates) -> extension coefficients."""
    return [Ext(*map(int, column)) for column in rows.T]


def _fibonacci_ldes():
    air = fibonacci.build_air()
    witness = fibonacci.honest_witness(SHAPE, np.random.default_rng(1))
    return air, witness, coset_lde(witness.main, LOG_BLOWUP, GENERATOR)


def test_quotient_values_are_the_numerator_over_z_h():
    air, witness, main = _fibonacci_ldes()
    log_n = SHAPE.log_height + LOG_BLOWUP
    fractions = []
    values = quotient_values(air, main=main, prep=None, aux=None, shape=SHAPE,
                             log_blowup=LOG_BLOWUP, publics=witness.publics, challenges=(),
                             aux_publics=(), alpha=ALPHA, progress=fractions.append)
    numerator = evaluate_constraints_numpy(
        air, main=main, prep=None, aux=None,
        selectors=selector_vectors(GENERATOR, log_n, SHAPE), publics=witness.publics,
        challenges=(), aux_publics=(), alpha=ALPHA, stride=1 << LOG_BLOWUP)
    z_h = vanishing_on_coset(GENERATOR, log_n, SHAPE.height)
    for j in range(0, 1 << log_n, 37):
        assert Ext(*values[j].tolist()) * int(z_h[j]) == Ext(*numerator[j].tolist())
    assert fractions[-1] == 1.0


def test_honest_quotient_has_the_expected_degree():
    air, witness, main = _fibonacci_ldes()
    values = quotient_values(air, main=main, prep=None, aux=None, shape=SHAPE,
                             log_blowup=LOG_BLOWUP, publics=witness.publics, challenges=(),
                             aux_publics=(), alpha=ALPHA)
    coeffs = coset_intt(ext_to_base_columns(values), GENERATOR)
    degree = quotient_degree(air, SHAPE)
    assert not coeffs[:, degree + 1:].any() and coeffs[:, degree].any()
    split_quotient(values, SHAPE.height, chunk_count(air, SHAPE), None, degree_bound=degree)


def test_a_tampered_witness_gives_a_quotient_of_too_high_degree():
    air = fibonacci.build_air()
    witness = fibonacci.tampered_witness(SHAPE, np.random.default_rng(1)).witness
    main = coset_lde(witness.main, LOG_BLOWUP, GENERATOR)
    values = quotient_values(air, main=main, prep=None, aux=None, shape=SHAPE,
                             log_blowup=LOG_BLOWUP, publics=witness.publics, challenges=(),
                             aux_publics=(), alpha=ALPHA)
    with pytest.raises(ValueError, match="does not satisfy"):
        split_quotient(values, SHAPE.height, chunk_count(air, SHAPE), None,
                       degree_bound=quotient_degree(air, SHAPE))


@pytest.mark.parametrize("module,chunks", [(fibonacci, 2), (lookup, 5), (permutation, 5),
                                           (journal, 5), (wide, 5)])
def test_chunk_count_covers_the_quotient_degree(module, chunks):
    air = module.build_air()
    shape = TraceShape(1 << 10, 98)
    assert chunk_count(air, shape) == chunks
    assert (chunks - 1) * chunk_size(1 << 10) <= quotient_degree(air, shape) < chunks * 512


@pytest.mark.parametrize("count", [1, 2, 5])
def test_randomized_chunks_sum_to_the_quotient(count):
    height, size = 32, 16
    rng = np.random.default_rng(count)
    coeffs = np.zeros((4, height << LOG_BLOWUP), dtype=np.uint32)
    coeffs[:, :count * size] = bb_random(rng, (4, count * size))
    values = np.ascontiguousarray(coset_ntt(coeffs, GENERATOR, 0).T)   # Q over g·H_N
    chunks = split_quotient(values, height, count, rng)
    assert chunks.shape == (4 * count, height)
    total = np.zeros((4, (count + 1) * size), dtype=np.uint64)
    for i in range(count):
        total[:, i * size:i * size + height] += chunks[4 * i:4 * i + 4]
    assert np.array_equal(total % P, np.pad(coeffs[:, :count * size], ((0, 0), (0, size))))
    assert np.array_equal(chunks[:4, :size], coeffs[:, :size])      # Q's low coefficients
    assert not chunks[4 * count - 4:, size:].any()                  # the last chunk < H/2
    if count > 1:
        assert chunks[:4, size:].any()                              # padded above H/2
        again = split_quotient(values, height, count, np.random.default_rng(99))
        assert not np.array_equal(again, chunks)
        plain = split_quotient(values, height, count, None, randomize=False)
        assert np.array_equal(plain[:, :size].reshape(count, 4, size).transpose(1, 0, 2)
                              .reshape(4, -1), coeffs[:, :count * size])


def test_recombine_evaluates_the_chunks_at_zeta():
    height, count = 16, 3
    rng = np.random.default_rng(5)
    chunks = bb_random(rng, (4 * count, height))
    zeta = Ext(3, 1, 4, 1)
    openings = np.array([_horner([Ext(int(c)) for c in row], zeta).coeffs for row in chunks],
                        dtype=np.uint32)
    expected = Ext.ZERO
    for i in range(count):
        q = _ext_coeffs(chunks[4 * i:4 * i + 4])
        expected += zeta ** (i * height // 2) * _horner(q, zeta)
    assert recombine(openings, zeta, height) == expected
