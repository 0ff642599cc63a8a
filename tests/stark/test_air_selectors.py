"""Selectors with zero-knowledge rows, the quotient degree, and an end-to-end check that
``sum alpha^i sel_i C_i`` of an honest witness is divisible by ``Z_H`` within that degree."""
import numpy as np
import pytest

from engine.field.babybear import P, two_adic_generator
from engine.field.scalar import Ext
from engine.stark.air import FIRST, AirBuilder, Selector, TraceShape
from engine.stark.constraints import evaluate_constraints
from engine.stark.examples import fibonacci, journal, lookup
from engine.stark.logup_trace import build_aux_trace
from engine.stark.selectors import (
    exemption_coefficients,
    quotient_chunks,
    quotient_degree,
    quotient_selectors,
    selector_vectors,
    selectors_at_point,
    vanishing_on_coset,
)
from tests.stark.test_air_support import coset_lde, interpolate

SHAPE = TraceShape(16, 4)
SHIFT = 31  # the field's generator lies outside every subgroup of 2-power order


def definition(kind: Selector, x, shape: TraceShape):
    """The selector polynomials written the long way round (sums and products)."""
    h, real = shape.height, shape.real_rows
    omega = two_adic_generator(shape.log_height)
    if kind in (Selector.FIRST, Selector.LAST):
        # L_j(x) = (1/H) sum_k (x·ω^-j)^k
        j = 0 if kind == Selector.FIRST else real - 1
        base = x * pow(omega, (P - 1 - j) % (P - 1), P)
        return sum((base ** k for k in range(h)), 0 * x) * pow(h, P - 2, P)
    first_exempt = real - 1 if kind == Selector.TRANSITION else real
    out = x ** 0
    for j in range(first_exempt, h):
        out = out * (x - pow(omega, j, P))
    return out


@pytest.mark.parametrize("kind", list(Selector))
def test_selectors_are_nonzero_exactly_on_their_rows(kind):
    omega = two_adic_generator(SHAPE.log_height)
    real = SHAPE.real_rows
    rows = {Selector.FIRST: {0}, Selector.LAST: {real - 1},
            Selector.TRANSITION: set(range(real - 1)), Selector.EVERY: set(range(real))}[kind]
    values = [definition(kind, Ext(pow(omega, r, P)), SHAPE) for r in range(SHAPE.height)]
    assert {r for r, v in enumerate(values) if v} == rows
    if kind in (Selector.FIRST, Selector.LAST):
        assert all(values[r] == 1 for r in rows)


def test_selector_vectors_match_the_definitions_on_a_coset():
    log_n = 6
    vectors = selector_vectors(SHIFT, log_n, SHAPE)
    g = two_adic_generator(log_n)
    assert vectors.shape == (4, 64) and vectors.dtype == np.uint32
    for i in (0, 1, 17, 63):
        x = Ext(SHIFT * pow(g, i, P))
        for kind in Selector:
            assert definition(kind, x, SHAPE) == int(vectors[kind, i])


@pytest.mark.parametrize("shape,log_n", [(TraceShape(16, 14), 3), (TraceShape(1024, 98), 12),
                                         (TraceShape(16, 0), 5)])
def test_selector_vectors_match_the_definitions_for_other_shapes(shape, log_n):
    # zk_rows + 1 coefficients of EVERY above N (first case) are folded onto the coset.
    vectors = selector_vectors(SHIFT, log_n, shape)
    g = two_adic_generator(log_n)
    for i in (0, 1, (1 << log_n) - 1):
        x = Ext(SHIFT * pow(g, i, P))
        for kind in Selector:
            assert definition(kind, x, shape) == int(vectors[kind, i])


def test_quotient_selectors_are_the_selectors_over_z_h():
    log_n = 7
    divided = quotient_selectors(SHIFT, log_n, SHAPE)
    inverses = np.array([pow(int(v), P - 2, P) for v in vanishing_on_coset(SHIFT, log_n, 16)],
                        dtype=np.uint64)
    expected = selector_vectors(SHIFT, log_n, SHAPE).astype(np.uint64) * inverses % P
    assert divided.dtype == np.uint32 and (divided == expected).all()


def test_exemption_coefficients_are_those_of_the_product():
    x = Ext(123, 456, 789, 10)
    coeffs = exemption_coefficients(SHAPE)
    assert len(coeffs) == SHAPE.zk_rows + 1
    value = sum((Ext(int(c)) * x ** k for k, c in enumerate(coeffs)), Ext.ZERO)
    assert value == definition(Selector.EVERY, x, SHAPE)


def test_selectors_at_a_point_match_the_definitions():
    zeta = Ext(123456789, 987654321, 5, 77)
    for kind, value in zip(Selector, selectors_at_point(zeta, SHAPE)):
        assert value == definition(kind, zeta, SHAPE)
    with pytest.raises(ValueError):
        selectors_at_point(Ext(two_adic_generator(4)), SHAPE)


def test_vanishing_polynomial_on_a_coset_is_x_to_the_h_minus_one():
    g = two_adic_generator(6)
    values = vanishing_on_coset(SHIFT, 6, 16)
    assert values.tolist() == [(pow(SHIFT * pow(g, i, P), 16, P) - 1) % P for i in range(64)]


def test_a_coset_meeting_the_trace_domain_is_refused():
    with pytest.raises(ValueError, match="meets the trace domain"):
        selector_vectors(1, 6, SHAPE)


def test_degree_three_constraints_need_three_quotient_chunks():
    b = AirBuilder("cubic")
    x = b.main("x")
    b.constrain("cube", x * x * x - x)
    every = b.build()
    b.constrain("first_cube", x * x * x - 1, when=FIRST)
    with_first = b.build()
    for shape in (TraceShape(16, 4), TraceShape(1 << 20, 64)):
        h, z = shape.height, shape.zk_rows
        # deg(sel) + 3(H - 1) - H
        assert quotient_degree(every, shape) == z + 2 * h - 3
        assert quotient_degree(with_first, shape) == 3 * h - 4
        assert quotient_chunks(every, shape) == quotient_chunks(with_first, shape) == 3
    assert quotient_chunks(fibonacci.build_air(), SHAPE) == 1


@pytest.mark.parametrize("module", [fibonacci, lookup, journal], ids=["fib", "lookup", "journal"])
def test_quotient_of_an_honest_witness_is_a_polynomial_of_the_predicted_degree(module):
    """Interpolate the witness (random zk rows included), evaluate on a disjoint coset,
    divide by Z_H: the result must be a polynomial of degree <= quotient_degree."""
    rng = np.random.default_rng(7)
    shape = TraceShape(128, 16) if module is lookup else TraceShape(32, 4)
    air = module.build_air()
    witness = module.honest_witness(shape, rng)
    prep = witness.preprocessed(air)
    challenges = [Ext(*rng.integers(0, P, 4).tolist()) for _ in air.challenge_names]
    aux, logup_sum = build_aux_trace(air, witness.main, prep, witness.publics,
                                     challenges or None, shape.zk_rows, rng)
    log_n = shape.log_height + 2
    n, stride = 1 << log_n, 4

    def lde(matrix):
        return np.array([coset_lde(row.tolist(), SHIFT, log_n) for row in matrix],
                        dtype=np.uint32).reshape(len(matrix), n)

    numerator = evaluate_constraints(
        air, main=lde(witness.main), prep=lde(prep), aux=lde(aux),
        selectors=selector_vectors(SHIFT, log_n, shape), publics=witness.publics,
        challenges=challenges or None,
        aux_publics=[logup_sum] if air.logup else None,
        alpha=Ext(3, 1, 4, 1), stride=stride)
    g = two_adic_generator(log_n)
    bound = quotient_degree(air, shape)
    for c in range(4):
        quotient = []
        for i in range(n):
            x_h = pow(SHIFT * pow(g, i, P) % P, shape.height, P)
            quotient.append(int(numerator[i, c]) * pow(x_h - 1, P - 2, P) % P)
        # Undo the coset shift: coefficients of Q(shift·X).
        coeffs = interpolate(quotient)
        assert any(coeffs), "the numerator should not vanish identically"
        assert not any(coeffs[bound + 1:]), f"coefficient {c}: degree above {bound}"


def test_quotient_of_a_tampered_witness_is_not_a_low_degree_polynomial():
    shape = TraceShape(32, 4)
    air = fibonacci.build_air()
    witness = fibonacci.tampered_witness(shape, np.random.default_rng(1)).witness
    log_n = shape.log_height + 2
    main = np.array([coset_lde(r.tolist(), SHIFT, log_n) for r in witness.main], dtype=np.uint32)
    numerator = evaluate_constraints(
        air, main=main, prep=None, aux=None, selectors=selector_vectors(SHIFT, log_n, shape),
        publics=witness.publics, challenges=None, aux_publics=None, alpha=Ext(3, 1, 4, 1),
        stride=4)
    g = two_adic_generator(log_n)
    quotient = [int(numerator[i, 0]) * pow(pow(SHIFT * pow(g, i, P), shape.height, P) - 1,
                                            P - 2, P) % P for i in range(1 << log_n)]
    assert any(interpolate(quotient)[quotient_degree(air, shape) + 1:])
