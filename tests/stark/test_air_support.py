"""Slow, obviously-correct references shared by the AIR framework's tests (no tests here).

Everything is Python integers and ``engine.field.scalar`` arithmetic: a radix-2 NTT
for interpolation, the pure-Python value of an AIR's combined constraint at one point,
and LogUp sums computed fraction by fraction.
"""
from __future__ import annotations

import numpy as np

from engine.field.babybear import P, two_adic_generator
from engine.field.scalar import Ext, Fp
from engine.stark import symbolic
from engine.stark.examples import fibonacci, journal, lookup, permutation, wide

SMALL_WIDE = {"n_columns": 24, "seed": 3}

# (module, keyword arguments of build_air / honest_witness / tampered_witness)
EXAMPLES = [(fibonacci, {}), (lookup, {}), (permutation, {}), (journal, {}),
            (wide, SMALL_WIDE)]
EXAMPLE_IDS = ["fibonacci", "lookup", "permutation", "journal", "wide"]


def ntt(values: list[int], root: int) -> list[int]:
    """Evaluations ``[sum_k values[k]·root^(i·k)]_i`` (length a power of two)."""
    n = len(values)
    if n == 1:
        return list(values)
    even = ntt(values[0::2], root * root % P)
    odd = ntt(values[1::2], root * root % P)
    out = [0] * n
    w = 1
    for i in range(n // 2):
        t = w * odd[i] % P
        out[i] = (even[i] + t) % P
        out[i + n // 2] = (even[i] - t) % P
        w = w * root % P
    return out


def interpolate(values: list[int]) -> list[int]:
    """Coefficients of the polynomial taking ``values`` on the subgroup of their size."""
    n = len(values)
    root = two_adic_generator(n.bit_length() - 1)
    inv_n = pow(n, P - 2, P)
    return [c * inv_n % P for c in ntt(values, pow(root, P - 2, P))]


def coset_lde(column: list[int], shift: int, log_n: int) -> list[int]:
    """Evaluations on ``shift·<g_N>`` of the polynomial through ``column`` on ``<ω_H>``."""
    coeffs = interpolate(column)
    n = 1 << log_n
    scaled = [c * pow(shift, k, P) % P for k, c in enumerate(coeffs)] + [0] * (n - len(coeffs))
    return ntt(scaled, two_adic_generator(log_n))


def reference_combination(air, i: int, *, main, prep, aux, selectors, publics, challenges,
                          aux_publics, alpha, stride) -> Ext:
    """``sum_k alpha^k sel_k C_k`` at point ``i`` with pure-Python field arithmetic."""
    n = main.shape[1]
    j = (i + stride) % n
    alpha = alpha if isinstance(alpha, Ext) else Ext(*map(int, alpha))

    def leaf(node):
        if node.op in ("main", "prep"):
            index, next_row, _ = node.data
            matrix = main if node.op == "main" else prep
            return Fp(int(matrix[index, j if next_row else i]))
        if node.op == "aux":
            index, next_row, _ = node.data
            return Ext(*(int(aux[4 * index + c, j if next_row else i]) for c in range(4)))
        if node.op == "public":
            return Fp(int(publics[node.data[0]]))
        table = challenges if node.op == "challenge" else aux_publics
        return Ext(*map(int, table[node.data[0]]))

    values = symbolic.evaluate([c.expr for c in air.constraints], leaf)
    total = Ext.ZERO
    for k, (c, v) in enumerate(zip(air.constraints, values)):
        total = total + alpha ** k * int(selectors[int(c.when), i]) * v
    return total


def random_inputs(air, n: int, stride: int, rng) -> dict:
    """Random LDE-shaped inputs for the constraint evaluators."""
    def field(shape):
        return rng.integers(0, P, shape, dtype=np.uint32)
    return {"main": field((air.n_main, n)), "prep": field((air.n_prep, n)),
            "aux": field((air.n_aux_base, n)), "selectors": field((4, n)),
            "publics": field(len(air.public_names)),
            "challenges": field((len(air.challenge_names), 4)),
            "aux_publics": field((len(air.aux_public_names), 4)),
            "alpha": Ext(*field(4).tolist()), "stride": stride}


def reference_logup_sum(air, main, prep, publics, challenges, real_rows: int) -> Ext:
    """``sum_rows sum_interactions m / d`` over the real rows, one fraction at a time."""
    gamma, beta = (Ext(*map(int, c)) for c in challenges)
    total = Ext.ZERO
    for r in range(real_rows):
        def leaf(node, r=r):
            if node.op in ("main", "prep"):
                matrix = main if node.op == "main" else prep
                return Fp(int(matrix[node.data[0], r]))
            return Fp(int(publics[node.data[0]]))
        for inter in air.interactions:
            *values, m = symbolic.evaluate(list(inter.values) + [inter.signed_multiplicity],
                                           leaf)
            if not m:
                continue
            d = gamma + inter.bus.id
            for k, v in enumerate(values, start=1):
                d = d + beta ** k * v
            total = total + m * d.inverse()
    return total


def reference_public_sum(air, messages, challenges) -> Ext:
    """``sum m / d`` over the verifier's messages, one at a time."""
    gamma, beta = (Ext(*map(int, c)) for c in challenges)
    total = Ext.ZERO
    for group in messages:
        bus = air.bus(group.bus)
        for values, m in zip(np.asarray(group.values).tolist(), group.multiplicities):
            d = gamma + bus.id
            for k, v in enumerate(values, start=1):
                d = d + beta ** k * int(v)
            total = total + int(m) * d.inverse()
    return total
