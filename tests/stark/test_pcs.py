"""PCS: DEEP kernels against Python references; openings verify; lies and tampering fail."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from engine.field.babybear import P, two_adic_generator
from engine.field.scalar import Ext
from engine.stark import fri, pcs
from engine.stark.deep import (
    add_scaled,
    barycentric_weights,
    combine_columns,
    deep_codeword,
    domain_points,
    evaluate_at_points,
    inverse_differences,
)
from engine.stark.fri import OpenedRows
from engine.stark.params import ProofParams
from engine.stark.pcs import Commitment, commit, prove_openings, verify_openings
from engine.stark.transcript import Transcript

G = 31
PARAMS = ProofParams(query_pow_bits=4, num_queries=12, fri_log_final_len=1)
TAG = b"test-pcs"
ZETA = Ext(123456789, 987654321, 55555, 42)


def _horner(coeffs, x):
    acc = Ext.ZERO if isinstance(x, Ext) else 0
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc if isinstance(x, Ext) else acc % P


def _ext(row) -> Ext:
    return Ext(*np.asarray(row).tolist())


# --- DEEP kernels vs Python ints -------------------------------------------------------------

@pytest.mark.parametrize("log_n,log_blowup", [(0, 2), (1, 1), (3, 2), (5, 2), (4, 0)])
def test_barycentric_evaluation_matches_horner(log_n, log_blowup):
    rng = np.random.default_rng(log_n)
    n, big = 1 << log_n, 1 << (log_n + log_blowup)
    coeffs = rng.integers(0, P, (3, n)).tolist()
    w = two_adic_generator(log_n + log_blowup)
    lde = np.array([[_horner(c, G * pow(w, j, P) % P) for j in range(big)] for c in coeffs],
                   dtype=np.uint32)
    points = [ZETA, Ext(7, 0, 0, 1), Ext(5)]
    values = evaluate_at_points([lde[:2], lde[2:]], 1 << log_blowup, log_n, G, points)
    assert values.shape == (3, 3, 4)
    for p, z in enumerate(points):
        for c in range(3):
            assert _ext(values[p, c]) == _horner([Ext(v) for v in coeffs[c]], z)


def test_barycentric_sums_over_many_parallel_ranges_match_numpy():
    # 2^14 points: several of the kernel's row ranges, each summed on its own.
    rng = np.random.default_rng(18)
    log_n, stride = 14, 2
    matrix = rng.integers(0, P, (3, stride << log_n), dtype=np.uint32)
    points = [ZETA, Ext(7, 0, 0, 1)]
    values = evaluate_at_points([matrix], stride, log_n, G, points)
    for p, z in enumerate(points):
        weights = barycentric_weights(log_n, G, z).astype(np.uint64)
        for c in range(3):
            column = matrix[c, ::stride].astype(np.uint64)
            expected = (column[:, None] * weights % P).sum(axis=0) % P
            assert values[p, c].tolist() == expected.tolist()


def test_barycentric_evaluation_over_the_subgroup_itself():
    rng = np.random.default_rng(11)
    coeffs = rng.integers(0, P, 8).tolist()
    w = two_adic_generator(3)
    evals = np.array([[_horner(coeffs, pow(w, j, P)) for j in range(8)]], dtype=np.uint32)
    values = evaluate_at_points([evals], 1, 3, 1, [ZETA])
    assert _ext(values[0, 0]) == _horner([Ext(v) for v in coeffs], ZETA)


def test_barycentric_evaluation_refuses_a_point_of_the_domain():
    with pytest.raises(ZeroDivisionError):
        evaluate_at_points([np.zeros((1, 4), np.uint32)], 1, 2, G, [Ext(G)])


def test_inverse_differences_match_python_inverses():
    rng = np.random.default_rng(12)
    xs = rng.integers(0, P, 2500, dtype=np.uint32)
    inverses = inverse_differences(ZETA, xs)
    for j in range(0, 2500, 97):
        assert _ext(inverses[j]) == (ZETA - int(xs[j])).inverse()
    assert _ext(inverses[-1]) == (ZETA - int(xs[-1])).inverse()


def test_combine_columns_matches_python_sums():
    rng = np.random.default_rng(13)
    matrices = [rng.integers(0, P, (3, 50), dtype=np.uint32),
                rng.integers(0, P, (6, 50), dtype=np.uint32)]
    coeffs = rng.integers(0, P, (9, 4), dtype=np.uint32)
    combined = combine_columns(matrices, coeffs)
    columns = np.concatenate(matrices)
    for j in range(50):
        expected = Ext.ZERO
        for i in range(9):
            expected += _ext(coeffs[i]) * int(columns[i, j])
        assert _ext(combined[j]) == expected


@pytest.mark.parametrize("stride", [2, 4])
def test_combine_columns_reads_every_stride_th_row(stride):
    rng = np.random.default_rng(15)
    matrices = [rng.integers(0, P, (5, 64 * stride), dtype=np.uint32),
                rng.integers(0, P, (2, 64 * stride), dtype=np.uint32)]
    coeffs = rng.integers(0, P, (7, 4), dtype=np.uint32)
    strided = combine_columns(matrices, coeffs, stride)
    assert strided.shape == (64, 4)
    assert (strided == combine_columns([m[:, ::stride] for m in matrices], coeffs)).all()


def test_barycentric_weights_from_the_lde_inverses_are_the_same():
    log_n, log_blowup = 5, 2
    xs = domain_points(log_n + log_blowup, G)
    inverses = inverse_differences(ZETA, xs)[::1 << log_blowup]
    assert (barycentric_weights(log_n, G, ZETA, inverses=inverses)
            == barycentric_weights(log_n, G, ZETA)).all()


def test_add_scaled_matches_python():
    rng = np.random.default_rng(14)
    acc = rng.integers(0, P, (4, 40), dtype=np.uint32)
    values = rng.integers(0, P, (40, 4), dtype=np.uint32)
    before = acc.copy()
    scale = Ext(1, 2, 3, 4)
    add_scaled(acc, values, scale)
    for j in range(40):
        assert _ext(acc[:, j]) == _ext(before[:, j]) + scale * _ext(values[j])


@pytest.mark.parametrize("masked", [True, False])
def test_deep_codeword_matches_python(masked):
    rng = np.random.default_rng(17)
    mask = rng.integers(0, P, (4, 40), dtype=np.uint32) if masked else None
    numerators = rng.integers(0, P, (2, 4, 40), dtype=np.uint32)
    claimed = rng.integers(0, P, (2, 4), dtype=np.uint32)
    inverses = rng.integers(0, P, (2, 40, 4), dtype=np.uint32)
    codeword = deep_codeword(mask, numerators, claimed, inverses)
    for j in range(40):
        expected = _ext(mask[:, j]) if masked else Ext.ZERO
        for k in range(2):
            expected += (_ext(numerators[k, :, j]) - _ext(claimed[k])) * _ext(inverses[k, j])
        assert _ext(codeword[j]) == expected


# --- The opening protocol ---------------------------------------------------------------------

LOG_N = 6


def _groups(params, seed=0):
    rng = np.random.default_rng(seed)
    n = 1 << LOG_N
    trace = commit([rng.integers(0, P, (5, n), dtype=np.uint32),
                    rng.integers(0, P, (3, n), dtype=np.uint32)], params)
    quotient_coeffs = rng.integers(0, P, (8, n), dtype=np.uint32)
    quotient = commit([quotient_coeffs], params, coefficients=True)
    return [trace, quotient], quotient_coeffs


def _points():
    return [[ZETA, ZETA * two_adic_generator(LOG_N)], [ZETA]]


def _open(groups, params=PARAMS, rng=None):
    return prove_openings(groups, _points(), params, Transcript(TAG), rng=rng)


def _verify(groups, proof, params=PARAMS, commitments=None, points=None, log_n=LOG_N):
    commitments = [g.commitment for g in groups] if commitments is None else commitments
    return verify_openings(commitments, _points() if points is None else points, log_n,
                           proof, params, Transcript(TAG))


@pytest.fixture(scope="module")
def opened():
    groups, quotient_coeffs = _groups(PARAMS)
    proof, indices = _open(groups)
    return groups, quotient_coeffs, proof, indices


@pytest.mark.parametrize("zk", [True, False])
def test_honest_openings_verify(zk):
    params = dataclasses.replace(PARAMS, zk=zk)
    groups, _ = _groups(params, seed=1)
    proof, indices = _open(groups, params)
    verdict = _verify(groups, proof, params)
    assert verdict.ok, verdict.reason
    np.testing.assert_array_equal(verdict.query_indices, indices)
    assert (proof.mask_root != b"") == zk
    assert len(proof.query_openings) == 2 + zk


def test_opened_values_are_the_polynomials_values(opened):
    _, quotient_coeffs, proof, _ = opened
    assert proof.opened_values[0].shape == (2, 8, 4)
    assert proof.opened_values[1].shape == (1, 8, 4)
    for i in range(8):
        expected = _horner([Ext(int(c)) for c in quotient_coeffs[i]], ZETA)
        assert _ext(proof.opened_values[1][0, i]) == expected


def test_committed_lde_is_kept_for_the_prover(opened):
    groups, quotient_coeffs, _, _ = opened
    quotient = groups[1]
    assert quotient.ldes[0].shape == (8, 1 << (LOG_N + 2))
    w = two_adic_generator(LOG_N + 2)
    for j in (0, 1, 100):
        x = G * pow(w, j, P) % P
        assert quotient.ldes[0][3, j] == _horner(quotient_coeffs[3].tolist(), x)
    assert not quotient.ldes[0].flags.writeable


@pytest.mark.parametrize("group,point,column", [(0, 0, 0), (0, 1, 7), (1, 0, 4)])
def test_a_wrong_claimed_value_is_rejected(opened, group, point, column):
    groups, _, proof, _ = opened
    values = [v.copy() for v in proof.opened_values]
    values[group][point, column, 0] = (values[group][point, column, 0] + 1) % P
    changed = dataclasses.replace(proof, opened_values=tuple(values))
    assert not _verify(groups, changed).ok


def test_a_consistently_claimed_wrong_value_fails_fri(monkeypatch):
    # A prover that lies about f(ζ) and builds the DEEP codeword from the lie: the
    # quotient (f − v)/(x − ζ) is then no polynomial, and FRI catches it.
    groups, _ = _groups(PARAMS, seed=2)

    def lying_evaluation(*args, **kwargs):
        values = evaluate_at_points(*args, **kwargs)
        values[0, 0, 0] = (values[0, 0, 0] + 1) % P
        return values

    monkeypatch.setattr(pcs, "evaluate_at_points", lying_evaluation)
    monkeypatch.setattr(pcs, "prove_fri", functools.partial(fri.prove_fri, check_degree=False))
    proof, _ = _open(groups)
    verdict = _verify(groups, proof)
    assert not verdict.ok and "FRI query" in verdict.reason


@pytest.mark.parametrize("group", [0, 1, 2])
def test_a_tampered_merkle_row_is_rejected(opened, group):
    groups, _, proof, _ = opened
    openings = list(proof.query_openings)
    values = [v.copy() for v in openings[group].values]
    values[-1][-1, -1] = (values[-1][-1, -1] + 1) % P
    openings[group] = OpenedRows(tuple(values), openings[group].nodes)
    verdict = _verify(groups, dataclasses.replace(proof, query_openings=tuple(openings)))
    assert not verdict.ok and "Merkle" in verdict.reason


@pytest.mark.parametrize("group", [0, 1, 2])
def test_a_tampered_authentication_node_is_rejected(opened, group):
    groups, _, proof, _ = opened
    openings = list(proof.query_openings)
    nodes = openings[group].nodes.copy()
    nodes[0, 0] ^= 1
    openings[group] = OpenedRows(openings[group].values, nodes)
    verdict = _verify(groups, dataclasses.replace(proof, query_openings=tuple(openings)))
    assert not verdict.ok and "Merkle" in verdict.reason


def test_a_changed_commitment_root_or_mask_root_is_rejected(opened):
    groups, _, proof, _ = opened
    bad = bytes(32)
    commitments = [Commitment(bad, groups[0].widths), groups[1].commitment]
    assert not _verify(groups, proof, commitments=commitments).ok
    assert not _verify(groups, dataclasses.replace(proof, mask_root=bad)).ok


def test_masking_makes_two_proofs_differ_while_both_verify():
    groups, _ = _groups(PARAMS, seed=3)
    first, _ = _open(groups)
    second, _ = _open(groups)
    assert _verify(groups, first).ok and _verify(groups, second).ok
    for a, b in zip(first.opened_values, second.opened_values):
        np.testing.assert_array_equal(a, b)
    assert first.mask_root != second.mask_root
    assert first.fri.layer_roots[0] != second.fri.layer_roots[0]
    assert not np.array_equal(first.fri.final_poly, second.fri.final_poly)


def test_without_masking_proofs_are_deterministic():
    params = dataclasses.replace(PARAMS, zk=False)
    groups, _ = _groups(params, seed=4)
    first, _ = _open(groups, params)
    second, _ = _open(groups, params)
    assert first.fri.layer_roots == second.fri.layer_roots
    np.testing.assert_array_equal(first.fri.final_poly, second.fri.final_poly)


@pytest.mark.parametrize("change", ["values_shape", "values_dtype", "values_range", "values_list",
                                    "values_count", "mask_short", "openings_count",
                                    "openings_matrix_count", "opening_shape", "opening_range",
                                    "not_a_proof", "wrong_widths", "base_point", "log_n",
                                    "zk_mismatch", "short_root"])
def test_a_malformed_opening_is_rejected_without_raising(opened, change):
    groups, _, proof, _ = opened
    v0 = proof.opened_values[0]
    q0 = proof.query_openings[0]
    kwargs = {}
    proof_changes = {
        "values_shape": lambda: {"opened_values": (v0[:1], proof.opened_values[1])},
        "values_dtype": lambda: {"opened_values": (v0.astype(np.int64), proof.opened_values[1])},
        "values_range": lambda: {"opened_values": (np.full_like(v0, P),
                                                    proof.opened_values[1])},
        "values_list": lambda: {"opened_values": list(proof.opened_values)},
        "values_count": lambda: {"opened_values": proof.opened_values[:1]},
        "mask_short": lambda: {"mask_root": proof.mask_root[:16]},
        "openings_count": lambda: {"query_openings": proof.query_openings[:2]},
        "openings_matrix_count": lambda: {"query_openings": (
            OpenedRows(q0.values[:1], q0.nodes),) + proof.query_openings[1:]},
        "opening_shape": lambda: {"query_openings": (
            OpenedRows((q0.values[0][1:], q0.values[1]), q0.nodes),) + proof.query_openings[1:]},
        "opening_range": lambda: {"query_openings": (
            OpenedRows((np.full_like(q0.values[0], P), q0.values[1]), q0.nodes),)
            + proof.query_openings[1:]},
    }
    changed = proof
    if change in proof_changes:
        changed = dataclasses.replace(proof, **proof_changes[change]())
    elif change == "not_a_proof":
        changed = "proof"
    elif change == "wrong_widths":
        kwargs["commitments"] = [Commitment(groups[0].root, (5, 4)), groups[1].commitment]
    elif change == "base_point":
        kwargs["points"] = [[Ext(5), ZETA], [ZETA]]
    elif change == "log_n":
        kwargs["log_n"] = LOG_N + 1
    elif change == "zk_mismatch":
        kwargs["params"] = dataclasses.replace(PARAMS, zk=False)
    elif change == "short_root":
        kwargs["commitments"] = [Commitment(groups[0].root[:8], groups[0].widths),
                                 groups[1].commitment]
    verdict = _verify(groups, changed, **kwargs)
    assert not verdict.ok and isinstance(verdict.reason, str)


def test_commit_refuses_bad_matrices():
    with pytest.raises(ValueError):
        commit([], PARAMS)
    with pytest.raises(ValueError):
        commit([np.zeros((2, 8), np.uint32), np.zeros((2, 16), np.uint32)], PARAMS)
    with pytest.raises(ValueError):
        commit([np.zeros((2, 6), np.uint32)], PARAMS)
    with pytest.raises(ValueError):
        commit([np.full((2, 8), P, np.uint32)], PARAMS)


def test_prove_openings_refuses_base_field_points_and_mismatched_groups(opened):
    groups = opened[0]
    with pytest.raises(ValueError):
        prove_openings(groups, [[Ext(3)], [ZETA]], PARAMS, Transcript(TAG))
    with pytest.raises(ValueError):
        prove_openings(groups, [[ZETA]], PARAMS, Transcript(TAG))
    other = dataclasses.replace(PARAMS, log_blowup=1)
    with pytest.raises(ValueError):
        prove_openings(groups, _points(), other, Transcript(TAG))
