"""FRI: folding against its definition, honest proofs accepted, every tampering rejected."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.field.babybear import P, two_adic_generator
from engine.field.scalar import Ext
from engine.stark.fri import FriProof, OpenedRows, fri_shape, prove_fri, verify_fri
from engine.stark.fri_fold import PARALLEL_MIN_HALF, fold_codeword, fold_leaves
from engine.stark.params import ProofParams
from engine.stark.transcript import Transcript

G = 31
PARAMS = ProofParams(query_pow_bits=4, num_queries=12, fri_log_final_len=1)
TAG = b"test-fri"


# --- Slow, obviously-correct references (Python ints) --------------------------------------

def _random_ext_coeffs(rng, count):
    return [Ext(*rng.integers(0, P, 4).tolist()) for _ in range(count)]


def _evaluate(coeffs, x):
    acc = Ext.ZERO
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc


def _codeword(coeffs, log_n, shift=G):
    """Evaluate the polynomial at shift·ω^j, j < 2^log_n, by Horner: (2^log_n, 4) uint32."""
    w = two_adic_generator(log_n)
    return np.array([_evaluate(coeffs, shift * pow(w, j, P) % P).coeffs
                     for j in range(1 << log_n)], dtype=np.uint32)


def _reference_fold(coeffs, log_arity, beta):
    """Σ_r β^r·f_r where f = Σ_r X^r·f_r(X^a): the definition of a fold by a = 2^log_arity."""
    arity = 1 << log_arity
    parts = [coeffs[r::arity] for r in range(arity)]
    length = max(len(part) for part in parts)
    folded = []
    for k in range(length):
        total = Ext.ZERO
        for r, part in enumerate(parts):
            if k < len(part):
                total += beta ** r * part[k]
        folded.append(total)
    return folded


def _fold_leaf(leaf, beta, point):
    """One leaf's values at point·ω_a^t, folded to the value at point^a, one binary
    fold at a time: (lo + hi)/2 + β·(lo − hi)/(2·x)."""
    values, challenge, x = list(leaf), beta, point
    while len(values) > 1:
        half = len(values) // 2
        root = two_adic_generator(half.bit_length())
        values = [(values[t] + values[t + half]) * Ext(P + 1 >> 1)
                  + challenge * (values[t] - values[t + half])
                  / (2 * x * pow(root, t, P) % P) for t in range(half)]
        challenge, x = challenge * challenge, x * x % P
    return values[0]


def _low_degree_codeword(rng, log_domain, log_blowup=2):
    coeffs = _random_ext_coeffs(rng, 1 << (log_domain - log_blowup))
    return _codeword(coeffs, log_domain)


# --- Folding --------------------------------------------------------------------------------

@pytest.mark.parametrize("log_arity", [1, 2, 3, 4])
def test_fold_codeword_matches_the_definition_of_folding(log_arity):
    rng = np.random.default_rng(log_arity)
    log_n = 6
    coeffs = _random_ext_coeffs(rng, 1 << log_n)
    beta = Ext(*rng.integers(0, P, 4).tolist())
    folded = fold_codeword(_codeword(coeffs, log_n), log_arity, beta.coeffs, G)
    expected = _codeword(_reference_fold(coeffs, log_arity, beta), log_n - log_arity,
                         pow(G, 1 << log_arity, P))
    np.testing.assert_array_equal(folded, expected)


@pytest.mark.parametrize("log_arity", [1, 2, 3])
def test_fold_leaves_agrees_with_fold_codeword_and_the_reference(log_arity):
    rng = np.random.default_rng(10 + log_arity)
    log_n = 5
    codeword = rng.integers(0, P, (1 << log_n, 4), dtype=np.uint32)
    beta = Ext(*rng.integers(0, P, 4).tolist())
    folded = fold_codeword(codeword, log_arity, beta.coeffs, G)
    leaves = (1 << log_n) >> log_arity
    w = two_adic_generator(log_n)
    grouped = codeword.reshape(1 << log_arity, leaves, 4).transpose(1, 0, 2)
    inv_points = [pow(G * pow(w, j, P), P - 2, P) for j in range(leaves)]
    by_leaves = fold_leaves(grouped, np.array(beta.coeffs), np.array(inv_points))
    assert by_leaves.shape == (leaves, 4)
    np.testing.assert_array_equal(by_leaves, folded)
    for j in range(leaves):
        leaf = [Ext(*grouped[j, t].tolist()) for t in range(1 << log_arity)]
        assert _fold_leaf(leaf, beta, G * pow(w, j, P) % P) == Ext(*folded[j].tolist())


def test_parallel_fold_agrees_with_the_scalar_fold():
    rng = np.random.default_rng(3)
    n = 4 * PARALLEL_MIN_HALF
    codeword = rng.integers(0, P, (n, 4), dtype=np.uint32)
    beta = Ext(*rng.integers(0, P, 4).tolist())
    folded = fold_codeword(codeword, 2, beta.coeffs, G)
    w = two_adic_generator(n.bit_length() - 1)
    for j in rng.integers(0, n // 4, 20).tolist():
        leaf = [Ext(*codeword[j + t * (n // 4)].tolist()) for t in range(4)]
        assert _fold_leaf(leaf, beta, G * pow(w, j, P) % P) == Ext(*folded[j].tolist())


def test_fri_shape_lands_exactly_on_the_final_degree():
    params = ProofParams(fri_log_arity=2, fri_log_final_len=3)
    assert fri_shape(20, params).log_arities == (2,) * 7 + (1,)
    assert fri_shape(20, params).log_final_len == 3
    assert fri_shape(4, params).log_arities == ()
    assert fri_shape(4, params).log_final_len == 2
    with pytest.raises(ValueError):
        fri_shape(1, params)


# --- Honest proofs --------------------------------------------------------------------------

def _prove(codeword, params=PARAMS, **kwargs):
    return prove_fri(codeword, params, Transcript(TAG), **kwargs)


def _verify(proof, codeword, params=PARAMS, log_domain=None):
    log_domain = codeword.shape[0].bit_length() - 1 if log_domain is None else log_domain
    return verify_fri(proof, log_domain, params, Transcript(TAG), lambda ix: codeword[ix])


@pytest.mark.parametrize("log_domain,log_arity", [(2, 2), (5, 1), (7, 2), (8, 3), (9, 4),
                                                  (10, 2)])
def test_fri_accepts_low_degree_codewords(log_domain, log_arity):
    params = dataclasses.replace(PARAMS, fri_log_arity=log_arity)
    codeword = _low_degree_codeword(np.random.default_rng(log_domain), log_domain)
    proof, indices = _prove(codeword, params)
    verdict = _verify(proof, codeword, params)
    assert verdict.ok, verdict.reason
    np.testing.assert_array_equal(verdict.query_indices, indices)
    assert verdict.query_passed.all()


def test_prover_refuses_a_codeword_of_too_high_degree():
    rng = np.random.default_rng(5)
    codeword = _codeword(_random_ext_coeffs(rng, 33), 7)
    with pytest.raises(ValueError, match="not of low degree"):
        _prove(codeword)


def test_fri_rejects_a_codeword_of_degree_exactly_one_too_high():
    rng = np.random.default_rng(6)
    log_domain = 8
    coeffs = _random_ext_coeffs(rng, (1 << (log_domain - 2)) + 1)
    codeword = _codeword(coeffs, log_domain)
    proof, _ = _prove(codeword, check_degree=False)
    verdict = _verify(proof, codeword)
    assert not verdict.ok
    assert "inconsistent" in verdict.reason
    assert not verdict.query_passed.any()


def test_fri_rejects_input_values_that_differ_from_the_first_layer():
    codeword = _low_degree_codeword(np.random.default_rng(7), 8)
    proof, _ = _prove(codeword)
    other = codeword.copy()
    other[:, 1] = (other[:, 1] + 1) % P
    verdict = _verify(proof, other)
    assert not verdict.ok and "inconsistent" in verdict.reason


def test_fri_passes_on_the_callers_rejection_reason():
    codeword = _low_degree_codeword(np.random.default_rng(8), 8)
    proof, _ = _prove(codeword)
    verdict = verify_fri(proof, 8, PARAMS, Transcript(TAG), lambda ix: "trace rows are bad")
    assert verdict.reason == "trace rows are bad"


# --- Tampering: every part of the proof -----------------------------------------------------

@pytest.fixture(scope="module")
def honest():
    codeword = _low_degree_codeword(np.random.default_rng(9), 9)
    proof, _ = _prove(codeword)
    assert _verify(proof, codeword).ok
    assert len(proof.layer_roots) == 3
    return proof, codeword


def _rejected(proof, codeword, params=PARAMS):
    verdict = _verify(proof, codeword, params)
    assert not verdict.ok
    assert isinstance(verdict.reason, str) and verdict.reason
    return verdict.reason


def _with_layer(proof, layer, opening=None, root=None):
    openings = list(proof.layer_openings)
    roots = list(proof.layer_roots)
    if opening is not None:
        openings[layer] = opening
    if root is not None:
        roots[layer] = root
    return dataclasses.replace(proof, layer_openings=tuple(openings), layer_roots=tuple(roots))


def _flip(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_fri_rejects_a_changed_layer_root(honest, layer):
    proof, codeword = honest
    _rejected(_with_layer(proof, layer, root=_flip(proof.layer_roots[layer], 5)), codeword)


@pytest.mark.parametrize("layer", [0, 1, 2])
@pytest.mark.parametrize("where", ["first", "last"])
def test_fri_rejects_a_changed_opened_value(honest, layer, where):
    proof, codeword = honest
    values = proof.layer_openings[layer].values[0].copy()
    row, col = (0, 0) if where == "first" else (-1, -1)
    values[row, col] = (values[row, col] + 1) % P
    opening = OpenedRows((values,), proof.layer_openings[layer].nodes)
    assert "Merkle" in _rejected(_with_layer(proof, layer, opening), codeword)


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_fri_rejects_a_non_canonical_opened_value(honest, layer):
    proof, codeword = honest
    values = proof.layer_openings[layer].values[0].copy()
    values[0, 0] = P
    opening = OpenedRows((values,), proof.layer_openings[layer].nodes)
    assert "canonical" in _rejected(_with_layer(proof, layer, opening), codeword)


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_fri_rejects_each_changed_authentication_node(honest, layer):
    proof, codeword = honest
    nodes = proof.layer_openings[layer].nodes
    assert nodes.shape[0] > 0
    for k in range(nodes.shape[0]):
        changed = nodes.copy()
        changed[k, 7] ^= 0x80
        opening = OpenedRows(proof.layer_openings[layer].values, changed)
        assert "Merkle" in _rejected(_with_layer(proof, layer, opening), codeword)


@pytest.mark.parametrize("change", ["drop", "extra", "wrong_dtype"])
def test_fri_rejects_malformed_authentication_nodes(honest, change):
    proof, codeword = honest
    nodes = proof.layer_openings[0].nodes
    changed = {"drop": nodes[1:], "extra": np.concatenate([nodes, nodes[:1]]),
               "wrong_dtype": nodes.astype(np.int64)}[change]
    opening = OpenedRows(proof.layer_openings[0].values, changed)
    _rejected(_with_layer(proof, 0, opening), codeword)


def test_fri_rejects_each_changed_final_coefficient(honest):
    proof, codeword = honest
    for k in range(proof.final_poly.shape[0]):
        final = proof.final_poly.copy()
        final[k, k % 4] = (final[k, k % 4] + 1) % P
        _rejected(dataclasses.replace(proof, final_poly=final), codeword)


@pytest.mark.parametrize("final", [np.zeros((4, 4), np.uint32), np.zeros((2, 3), np.uint32),
                                   np.full((2, 4), P, np.uint32), np.zeros((2, 4), np.int64),
                                   [[0, 0, 0, 0]] * 2, None])
def test_fri_rejects_a_malformed_final_polynomial(honest, final):
    proof, codeword = honest
    assert "final polynomial" in _rejected(dataclasses.replace(proof, final_poly=final),
                                           codeword)


@pytest.mark.parametrize("nonce", ["previous", -1, 1 << 64, 2.0, "7", None, True])
def test_fri_rejects_a_changed_proof_of_work_nonce(honest, nonce):
    proof, codeword = honest
    if nonce == "previous":
        # The prover grinds for the smallest passing nonce, so any smaller one fails.
        nonce = proof.pow_nonce - 1 if proof.pow_nonce else 1 << 64
    _rejected(dataclasses.replace(proof, pow_nonce=nonce), codeword)


def test_fri_rejects_openings_for_a_different_query_count(honest):
    proof, codeword = honest
    fewer = dataclasses.replace(PARAMS, num_queries=PARAMS.num_queries - 1)
    more = dataclasses.replace(PARAMS, num_queries=PARAMS.num_queries + 1)
    _rejected(proof, codeword, fewer)
    _rejected(proof, codeword, more)
    values = proof.layer_openings[0].values[0]
    for cut in (values[1:], np.concatenate([values, values[:1]])):
        opening = OpenedRows((cut,), proof.layer_openings[0].nodes)
        assert "opening must be" in _rejected(_with_layer(proof, 0, opening), codeword)


@pytest.mark.parametrize("change", ["drop_layer", "extra_layer", "list_roots", "short_root",
                                    "str_root", "two_matrices", "no_matrix", "not_opened_rows",
                                    "not_a_proof"])
def test_fri_rejects_a_malformed_proof_without_raising(honest, change):
    proof, codeword = honest
    first = proof.layer_openings[0]
    changed = {
        "drop_layer": lambda: dataclasses.replace(proof, layer_roots=proof.layer_roots[1:],
                                                  layer_openings=proof.layer_openings[1:]),
        "extra_layer": lambda: dataclasses.replace(
            proof, layer_roots=proof.layer_roots + proof.layer_roots[:1],
            layer_openings=proof.layer_openings + proof.layer_openings[:1]),
        "list_roots": lambda: dataclasses.replace(proof, layer_roots=list(proof.layer_roots)),
        "short_root": lambda: _with_layer(proof, 1, root=proof.layer_roots[1][:31]),
        "str_root": lambda: _with_layer(proof, 1, root="00" * 32),
        "two_matrices": lambda: _with_layer(proof, 0, OpenedRows(first.values * 2, first.nodes)),
        "no_matrix": lambda: _with_layer(proof, 0, OpenedRows((), first.nodes)),
        "not_opened_rows": lambda: _with_layer(proof, 0, (first.values, first.nodes)),
        "not_a_proof": lambda: None,
    }[change]()
    _rejected(changed, codeword)


def test_fri_verifier_rejects_an_out_of_range_domain(honest):
    proof, codeword = honest
    for log_domain in (-1, 1, 28, 9.0):
        verdict = verify_fri(proof, log_domain, PARAMS, Transcript(TAG), lambda ix: codeword[ix])
        assert not verdict.ok


def test_fri_proof_is_plain_data(honest):
    proof, _ = honest
    assert isinstance(proof, FriProof)
    for field in dataclasses.fields(proof):
        assert field.name in ("layer_roots", "layer_openings", "final_poly", "pow_nonce")
    assert all(isinstance(o.nodes, np.ndarray) and o.nodes.dtype == np.uint8
               for o in proof.layer_openings)
