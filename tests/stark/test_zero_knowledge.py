"""Zero knowledge, as far as tests can see it: fresh randomness in every proof (random
rows, quotient pads, FRI mask), nothing of the private trace in the proof's bytes, and
deterministic proofs without zk (so the randomness is where the docs say it is)."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from engine.events import TraceReady
from engine.stark import ProofParams, encode_proof, prove, trace_shape, verify
from engine.stark.examples import permutation

PARAMS = ProofParams()
SHAPE = trace_shape(1 << 10, PARAMS)


@functools.cache
def _witness():
    return permutation.honest_witness(SHAPE, np.random.default_rng(51))


def _prove(seed=None, params=PARAMS, witness=None, **kwargs):
    witness = witness or _witness()
    rng = None if seed is None else np.random.default_rng(seed)
    return prove(permutation.build_air(), witness.main, public_values=witness.publics,
                 params=params, rng=rng, **kwargs)


@functools.cache
def _two_proofs():
    return _prove(), _prove()


def test_the_zero_knowledge_rows_cover_every_revealed_evaluation():
    # Per query x_j and ω·x_j (the quotient at x_j reads the next row), and the four
    # base-field coordinates of each of the extension values at ζ and ζ·ω.
    assert PARAMS.zk_rows >= 2 * PARAMS.num_queries + 4 * 2
    assert SHAPE.real_rows == 1024 - PARAMS.zk_rows


def test_the_same_witness_proved_twice_gives_different_valid_proofs():
    a, b = _two_proofs()
    for proof in (a, b):
        assert verify(permutation.build_air(), proof, public_values=[]).valid
    assert encode_proof(a) != encode_proof(b)
    assert a.main_root != b.main_root
    assert a.aux_root != b.aux_root
    assert a.quotient_root != b.quotient_root
    assert a.opening.mask_root != b.opening.mask_root


def test_openings_differ_between_two_proofs_of_the_same_witness():
    a, b = _two_proofs()
    for x, y in zip(a.opening.opened_values, b.opening.opened_values):
        assert x.shape == y.shape
        assert not np.any(np.all(x == y, axis=-1))
    for x, y in zip(a.opening.query_openings, b.opening.query_openings):
        assert not np.array_equal(x.values[0], y.values[0])


def test_the_random_rows_are_fresh_in_every_proof():
    traces = []
    for _ in range(2):
        events = []
        _prove(on_event=events.append)
        traces.append(next(e for e in events if isinstance(e, TraceReady)).columns)
    real = SHAPE.real_rows
    assert np.array_equal(traces[0][:, :real], traces[1][:, :real])
    assert np.array_equal(traces[0][:, :real], _witness().main[:, :real])
    assert not np.any(traces[0][:, real:] == traces[1][:, real:])
    assert not np.array_equal(traces[0][:, real:], _witness().main[:, real:])


def test_the_proof_contains_no_run_of_private_trace_values():
    a, b = _two_proofs()
    main = _witness().main[:, :SHAPE.real_rows]
    # Any two consecutive rows of a column, or a whole row, as the bytes a proof would
    # hold if it leaked them (8 bytes: a chance match is about 2^-64 per window).
    windows = {main[c, r:r + 2].astype("<u4").tobytes()
               for c in range(main.shape[0]) for r in range(main.shape[1] - 1)}
    windows |= {main[:2, r].astype("<u4").tobytes() for r in range(main.shape[1])}
    for proof in (a, b):
        data = encode_proof(proof)
        hits = [w for w in windows if w in data]
        assert not hits


def test_without_zero_knowledge_proofs_are_deterministic():
    params = ProofParams(zk=False)
    shape = trace_shape(1 << 10, params)
    witness = permutation.honest_witness(shape, np.random.default_rng(52))
    first = _prove(params=params, witness=witness)
    second = _prove(params=params, witness=witness)
    assert encode_proof(first) == encode_proof(second)
    assert first.opening.mask_root == b""
    assert verify(permutation.build_air(), first, public_values=[], params=params).valid


@pytest.mark.parametrize("seed", [1, 2])
def test_a_seeded_prover_is_reproducible_and_seeds_differ(seed):
    assert encode_proof(_prove(seed)) == encode_proof(_prove(seed))
    assert encode_proof(_prove(seed)) != encode_proof(_prove(seed + 10))
