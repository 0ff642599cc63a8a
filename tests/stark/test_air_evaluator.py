"""The three constraint evaluators (generated Numba, NumPy, verifier's point) agree with
a pure-Python evaluation, for every example and for random expression DAGs."""
import numpy as np
import pytest

from engine.field.babybear import P
from engine.field.scalar import Ext, Fp
from engine.stark import codegen, symbolic
from engine.stark.air import Constraint, Selector
from engine.stark.constraints import (
    alpha_powers,
    evaluate_constraints,
    evaluate_constraints_at_point,
    evaluate_constraints_numpy,
)
from tests.stark.test_air_support import (
    EXAMPLE_IDS,
    EXAMPLES,
    random_inputs,
    reference_combination,
)

N, STRIDE = 64, 4
POINTS = (0, 1, 30, N - STRIDE, N - 1)


class RandomAir:
    """An AIR-shaped object with arbitrary (also extension-valued) constraints, to
    exercise every operation and operand type of the code generator."""

    n_main, n_prep, n_aux = 5, 2, 2
    n_aux_base = 8
    public_names = ("p0", "p1")
    challenge_names = ("c0", "c1")
    aux_public_names = ("s0",)

    def __init__(self, seed: int, n_constraints: int = 16):
        rng = np.random.default_rng(seed)
        pool = ([symbolic.column("main", k, f"m{k}", bool(n)) for k in range(5) for n in (0, 1)]
                + [symbolic.column("prep", k, f"q{k}", bool(n)) for k in range(2) for n in (0, 1)]
                + [symbolic.column("aux", k, f"a{k}", bool(n)) for k in range(2) for n in (0, 1)]
                + [symbolic.public(k, f"p{k}") for k in range(2)]
                + [symbolic.challenge(k, f"c{k}") for k in range(2)]
                + [symbolic.aux_public(0, "s0"), symbolic.constant(P - 3), symbolic.constant(11)])
        self.constraints = []
        while len(self.constraints) < n_constraints:
            e = pool[rng.integers(len(pool))]
            for _ in range(rng.integers(1, 6)):
                other = pool[rng.integers(len(pool))]
                op = rng.integers(5)
                e = [e + other, e - other, other - e, e * other, -e][op]
            if e.op != "const":
                pool.append(e)
                when = Selector(int(rng.integers(4)))
                self.constraints.append(Constraint(f"c{len(self.constraints)}", e, when))


@pytest.mark.parametrize("module, kwargs", EXAMPLES, ids=EXAMPLE_IDS)
def test_generated_evaluator_matches_pure_python_on_every_example(module, kwargs):
    air = module.build_air(**kwargs)
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(1))
    out = evaluate_constraints(air, **inputs)
    assert out.shape == (N, 4) and out.dtype == np.uint32
    for i in POINTS:
        assert Ext(*map(int, out[i])) == reference_combination(air, i, **inputs)


@pytest.mark.parametrize("module, kwargs", EXAMPLES, ids=EXAMPLE_IDS)
def test_numpy_evaluator_matches_the_generated_one(module, kwargs):
    air = module.build_air(**kwargs)
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(2))
    assert np.array_equal(evaluate_constraints_numpy(air, **inputs),
                          evaluate_constraints(air, **inputs))


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_evaluator_matches_pure_python_on_random_extension_dags(seed):
    air = RandomAir(seed)
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(seed))
    out = evaluate_constraints(air, **inputs)
    for i in POINTS:
        assert Ext(*map(int, out[i])) == reference_combination(air, i, **inputs)
    assert np.array_equal(evaluate_constraints_numpy(air, **inputs), out)


def test_splitting_a_large_air_into_several_functions_gives_the_same_values(monkeypatch):
    inputs = random_inputs(RandomAir(5), N, STRIDE, np.random.default_rng(5))
    whole = evaluate_constraints(RandomAir(5), **inputs)
    monkeypatch.setattr(codegen, "_MAX_NODES_PER_FUNCTION", 12)
    split_air = RandomAir(5)
    assert codegen._constraint_source(split_air.constraints).count("def _part") > 3
    assert np.array_equal(evaluate_constraints(split_air, **inputs), whole)


@pytest.mark.parametrize("module, kwargs", EXAMPLES, ids=EXAMPLE_IDS)
def test_verifier_point_evaluation_agrees_with_the_prover_kernel(module, kwargs):
    """Opening every column at a domain point x (and at x·ω) and evaluating at x with
    Ext arithmetic gives the kernel's value at x."""
    air = module.build_air(**kwargs)
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(3))
    out = evaluate_constraints(air, **inputs)
    for i in (5, N - 1):
        j = (i + STRIDE) % N
        value = evaluate_constraints_at_point(
            air, main_local=inputs["main"][:, i], main_next=inputs["main"][:, j],
            prep_local=inputs["prep"][:, i], prep_next=inputs["prep"][:, j],
            aux_local=inputs["aux"][:, i], aux_next=inputs["aux"][:, j],
            selectors=[Fp(int(s)) for s in inputs["selectors"][:, i]],
            publics=inputs["publics"], challenges=inputs["challenges"],
            aux_publics=inputs["aux_publics"], alpha=inputs["alpha"])
        assert value == Ext(*map(int, out[i]))


def test_point_evaluation_recombines_aux_columns_from_extension_openings():
    """At an extension point each aux base column opens to an Ext; the aux value is
    sum_k x^k·opening_k, which is not the same as reading coefficients."""
    air = RandomAir(7, n_constraints=6)
    rng = np.random.default_rng(7)

    def ext():
        return Ext(*rng.integers(0, P, 4).tolist())

    opened = {k: [ext() for _ in range(n)] for k, n in
              [("main_local", 5), ("main_next", 5), ("prep_local", 2), ("prep_next", 2),
               ("aux_local", 8), ("aux_next", 8)]}
    scalars = {"publics": [3, 4], "challenges": [ext(), ext()], "aux_publics": [ext()],
               "selectors": [ext() for _ in range(4)]}
    alpha = ext()
    x = Ext(0, 1, 0, 0)

    def leaf(node):
        if node.op == "aux":
            col = opened["aux_next" if node.data[1] else "aux_local"]
            return sum((col[4 * node.data[0] + k] * x ** k for k in range(4)), Ext.ZERO)
        if node.op in ("main", "prep"):
            return opened[f"{node.op}_{'next' if node.data[1] else 'local'}"][node.data[0]]
        if node.op == "public":
            return Fp(scalars["publics"][node.data[0]])
        return scalars["challenges" if node.op == "challenge" else "aux_publics"][node.data[0]]

    values = symbolic.evaluate([c.expr for c in air.constraints], leaf)
    expected = sum((alpha ** k * scalars["selectors"][int(c.when)] * v
                    for k, (c, v) in enumerate(zip(air.constraints, values))), Ext.ZERO)
    assert evaluate_constraints_at_point(air, alpha=alpha, **opened, **scalars) == expected


def test_row_kernel_writes_base_and_extension_values_per_row():
    m0, m1 = symbolic.column("main", 0, "m0"), symbolic.column("main", 1, "m1")
    g = symbolic.challenge(0, "g")
    exprs = [m0 * m1 + 5, g * m0.next - m1, -(g * g)]
    rng = np.random.default_rng(4)
    main = rng.integers(0, P, (2, 40), dtype=np.uint32)
    challenges = rng.integers(0, P, (1, 4), dtype=np.uint32)
    for all_ext in (False, True):
        rows = 12 if all_ext else 9
        out = np.zeros((rows, 10), dtype=np.uint32)
        codegen.row_kernel(exprs, all_ext)(30, 1, 40, main, np.zeros((0, 40), np.uint32),
                                           np.zeros((0, 40), np.uint32),
                                           np.zeros(0, np.uint32), challenges,
                                           np.zeros((0, 4), np.uint32), out)
        for i in range(10):
            r = 30 + i
            expected = symbolic.evaluate(exprs, lambda leaf, r=r: (
                Ext(*map(int, challenges[0])) if leaf.op == "challenge"
                else Fp(int(main[leaf.data[0], (r + leaf.data[1]) % 40]))))
            got = out[:, i].tolist()
            first = got[:4] if all_ext else got[:1]
            assert first == ([int(expected[0]), 0, 0, 0] if all_ext else [int(expected[0])])
            assert got[-8:-4] == list(expected[1].coeffs) and got[-4:] == list(expected[2].coeffs)


def test_evaluators_reject_wrong_shapes_and_out_of_range_values():
    air = EXAMPLES[0][0].build_air()
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(6))
    for key, bad in [("main", inputs["main"][:, :-1]), ("selectors", inputs["selectors"][:3]),
                     ("publics", inputs["publics"][:2]), ("stride", 0)]:
        with pytest.raises(ValueError):
            evaluate_constraints(air, **{**inputs, key: bad})
    too_big = inputs["main"].copy()
    too_big[0, 0] = P
    with pytest.raises(ValueError, match=r"\[0, P\)"):
        evaluate_constraints(air, **{**inputs, "main": too_big})


def test_evaluating_consecutive_ranges_of_points_gives_the_whole_domain():
    air = EXAMPLES[4][0].build_air(**EXAMPLES[4][1])
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(8))
    whole = evaluate_constraints(air, **inputs)
    pieces = [evaluate_constraints(air, **inputs, start=a, stop=b)
              for a, b in ((0, 7), (7, 7), (7, 40), (40, N))]
    assert np.array_equal(np.concatenate(pieces), whole)
    assert np.array_equal(evaluate_constraints_numpy(air, **inputs, start=7, stop=40),
                          whole[7:40])
    with pytest.raises(ValueError, match="do not lie"):
        evaluate_constraints(air, **inputs, start=10, stop=N + 1)


def test_values_out_of_range_are_found_where_the_range_reads_them():
    air = EXAMPLES[0][0].build_air()
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(9))
    inputs["main"][1, 10] = P
    evaluate_constraints(air, **inputs, start=11, stop=20)   # reads 11..19 and 15..23
    for start, stop in ((10, 11), (6, 7), (N - 1, N)):       # 10 as a point, a next row
        if start == N - 1:
            inputs["main"][1, 10], inputs["main"][0, 3] = 0, P    # (N - 1 + 4) mod N
        with pytest.raises(ValueError, match=r"\[0, P\)"):
            evaluate_constraints(air, **inputs, start=start, stop=stop)


def test_a_domain_of_several_windows_matches_numpy():
    # The kernel runs on row-padded copies of 2^15 points at a time; the last window's
    # next rows wrap around to the domain's start.
    air = EXAMPLES[4][0].build_air(**EXAMPLES[4][1])
    n, stride = 1 << 16, 4
    inputs = random_inputs(air, n, stride, np.random.default_rng(10))
    compiled = evaluate_constraints(air, **inputs, start=5, stop=n)
    assert np.array_equal(compiled, evaluate_constraints_numpy(air, **inputs, start=5, stop=n))


def test_coefficients_replace_the_powers_of_alpha():
    air = EXAMPLES[4][0].build_air(**EXAMPLES[4][1])
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(11))
    powers = alpha_powers(inputs["alpha"], len(air.constraints))
    by_alpha = evaluate_constraints(air, **inputs)
    del inputs["alpha"]
    assert np.array_equal(evaluate_constraints(air, **inputs, coefficients=powers), by_alpha)
    with pytest.raises(ValueError, match="alpha or coefficients"):
        evaluate_constraints(air, **inputs)


def test_alpha_powers_start_at_one():
    powers = alpha_powers(Ext(2, 0, 0, 0), 4)
    assert powers[:, 0].tolist() == [1, 2, 4, 8] and not powers[:, 1:].any()


@pytest.mark.parametrize("seed", [0, 1])
def test_lazy_reductions_do_not_overflow_on_the_largest_values(seed):
    """Every input P - 1: the bounds the code generator tracks are reached exactly."""
    air = RandomAir(seed)
    inputs = random_inputs(air, N, STRIDE, np.random.default_rng(seed))
    for key in ("main", "prep", "aux", "selectors", "publics", "challenges", "aux_publics"):
        inputs[key] = np.full_like(inputs[key], P - 1)
    inputs["alpha"] = Ext(P - 1, P - 1, P - 1, P - 1)
    out = evaluate_constraints(air, **inputs)
    assert Ext(*map(int, out[0])) == reference_combination(air, 0, **inputs)


def test_generated_source_is_the_same_in_every_process():
    """The kernel cache is keyed by the source's hash: it must not depend on what else
    the process built first, nor on Python's string hash seed."""
    import os
    import subprocess
    import sys
    script = ("import sys, hashlib\n"
              "from engine.stark import symbolic, codegen\n"
              "junk = [symbolic.column('main', k, 'j') * 3 for k in range(int(sys.argv[1]))]\n"
              "from engine.stark.examples import journal\n"
              "src = codegen._constraint_source(journal.build_air().constraints)\n"
              "print(hashlib.sha256(src.encode()).hexdigest())\n")
    outputs = set()
    for junk, seed in ((0, "1"), (40, "2")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.add(subprocess.run([sys.executable, "-c", script, str(junk)], env=env,
                                   capture_output=True, text=True, check=True).stdout)
    assert len(outputs) == 1
