"""Evaluating an AIR's combined constraint ``sum_i alpha^i · sel_i(x) · C_i(x)``.

Three evaluators of the same declaration:

* :func:`evaluate_constraints`: the prover's, a generated Numba kernel over every
  point of an LDE coset (parallel over blocks of points);
* :func:`evaluate_constraints_numpy`: the same with one NumPy operation per DAG node,
  the benchmark baseline and a second implementation to test against;
* :func:`evaluate_constraints_at_point`: the verifier's, in ``Ext`` arithmetic at the
  out-of-domain point ``zeta`` from the values opened at ``zeta`` and ``zeta·ω``.

Constraint ``i`` is ``air.constraints[i]`` (the author's, then LogUp's) and gets
``alpha^i``. The prover divides the result by ``Z_H(x) = x^H - 1``.
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from engine.field.babybear import P
from engine.field.ext4 import W
from engine.field.scalar import Ext
from engine.stark import codegen, symbolic
from engine.stark.eval_inputs import (
    as_base_vector,
    as_ext,
    as_ext_rows,
    as_matrix,
    check_points,
)
from engine.stark.numpy_eval import evaluate_numpy
from engine.stark.windows import WINDOW_POINTS, padded_window, window_buffer


def evaluate_constraints(air, *, main, prep, aux, selectors, publics, challenges,
                         aux_publics, alpha=None, stride: int, start: int = 0,
                         stop: int | None = None, check_values: bool = True,
                         coefficients=None, progress=None) -> np.ndarray:
    """The quotient numerator at the points ``start .. stop - 1`` of a domain of ``N``
    points (all of them by default).

    ``main`` ``(n_main, N)``, ``prep`` ``(n_prep, N)`` and ``aux`` ``(4·n_aux, N)``
    are uint32 column evaluations (``None`` for an empty one), in natural order over
    the domain; ``selectors`` is ``(4, N)`` from
    :func:`engine.stark.selectors.selector_vectors`; the next row of point ``i`` is
    point ``(i + stride) mod N`` (``stride = N / H`` on a coset of size ``N``).
    ``publics`` ``(n_public,)``; ``challenges`` and ``aux_publics`` ``(n, 4)`` arrays
    or ``Ext`` sequences; ``alpha`` an ``Ext`` or ``(4,)`` array, or instead
    ``coefficients``, one extension coefficient per constraint (``(n, 4)``; the row
    checker's random combination). ``progress(done)`` is called with the number of
    points done after each block of ``2^15`` (it may raise to cancel).
    ``check_values=False``
    skips the scan of the column values read for values ``>= P``: for columns that
    are canonical by construction (the prover's own committed LDEs), where the scan
    would cost as much as a fifth of the kernel.

    Returns ``(stop - start, 4)`` uint32 extension values. Raises ``ValueError`` for a
    wrong shape, a bad range, or (with ``check_values``) a value outside ``[0, P)``
    among those read.
    """
    args, start, stop = _prover_inputs(air, main, prep, aux, selectors, publics,
                                       challenges, aux_publics, stride, start, stop,
                                       check_values)
    if (alpha is None) == (coefficients is None):
        raise ValueError("give alpha or coefficients")
    coeffs = (alpha_powers(alpha, len(air.constraints)) if coefficients is None
              else as_ext_rows(coefficients, len(air.constraints), "coefficients"))
    out = np.zeros((stop - start, 4), dtype=np.uint32)
    if not air.constraints or stop == start:
        return out
    kernel = codegen.constraint_kernel(air)
    # The kernel reads row-padded copies of the columns (engine.stark.windows).
    columns = [args[key] for key in ("main", "prep", "aux", "selectors")]
    buffers = [window_buffer(c.shape[0], min(stop - start, WINDOW_POINTS) + stride)
               for c in columns]
    for lo in range(start, stop, WINDOW_POINTS):
        hi = min(stop, lo + WINDOW_POINTS)
        count = hi - lo + stride
        windows = [padded_window(c, lo, count, buf) for c, buf in zip(columns, buffers)]
        # Points lo .. hi − 1 are rows 0 .. hi − lo − 1 of the windows, and their next
        # rows lie inside them: the kernel never wraps.
        kernel(0, stride, count, *windows, args["publics"], args["challenges"],
               args["aux_publics"], coeffs, out[lo - start:hi - start])
        if progress is not None:
            progress(hi - start)
    return out


def evaluate_constraints_numpy(air, *, main, prep, aux, selectors, publics, challenges,
                               aux_publics, alpha, stride: int, start: int = 0,
                               stop: int | None = None) -> np.ndarray:
    """Same inputs, output and errors as :func:`evaluate_constraints`, computed with
    vectorized NumPy over the whole domain (slower; the reference and the benchmark
    baseline)."""
    args, _, _ = _prover_inputs(air, main, prep, aux, selectors, publics, challenges,
                                aux_publics, stride, 0, None, True)
    n = args["main"].shape[1]
    stop = n if stop is None else stop
    if not 0 <= start <= stop <= n:
        raise ValueError(f"points {start}..{stop} do not lie in a domain of {n} points")
    sel = args.pop("selectors")
    exprs = [c.expr for c in air.constraints]
    values = evaluate_numpy(exprs, stride=stride, **args)
    powers = alpha_powers(alpha, len(exprs)).astype(np.uint64)
    total = np.zeros((4, n), dtype=np.uint64)
    for i, (c, v) in enumerate(zip(air.constraints, values)):
        term = _ext_times(powers[i], v.astype(np.uint64))
        total = (total + term * sel[int(c.when)].astype(np.uint64) % P) % P
    return np.ascontiguousarray(total.T[start:stop]).astype(np.uint32)


def evaluate_constraints_at_point(air, *, main_local, main_next, prep_local=(),
                                  prep_next=(), aux_local=(), aux_next=(), selectors,
                                  publics, challenges=(), aux_publics=(), alpha) -> Ext:
    """The quotient numerator at one out-of-domain point ``zeta``.

    ``main_local``/``main_next`` hold each main column's value at ``zeta`` and
    ``zeta·ω`` (``Ext`` sequences or ``(n, 4)`` arrays), likewise ``prep_*``;
    ``aux_local``/``aux_next`` hold the ``4·n_aux`` *base* columns that commit the aux
    trace (the extension value is recombined as ``sum_k x^k · opening_k``).
    ``selectors`` is :func:`engine.stark.selectors.selectors_at_point`'s tuple.
    Raises ``ValueError`` if a count does not match the AIR.
    """
    opened = {
        ("main", False): _ext_list(main_local, air.n_main, "main_local"),
        ("main", True): _ext_list(main_next, air.n_main, "main_next"),
        ("prep", False): _ext_list(prep_local, air.n_prep, "prep_local"),
        ("prep", True): _ext_list(prep_next, air.n_prep, "prep_next"),
        ("aux", False): _recombine(_ext_list(aux_local, air.n_aux_base, "aux_local")),
        ("aux", True): _recombine(_ext_list(aux_next, air.n_aux_base, "aux_next")),
    }
    scalars = {
        "public": [int(v) for v in as_base_vector(publics, len(air.public_names),
                                                  "public values")],
        "challenge": _ext_list(challenges, len(air.challenge_names), "challenges"),
        "aux_public": _ext_list(aux_publics, len(air.aux_public_names), "aux publics"),
    }
    sel = [as_ext(s) for s in selectors]
    if len(sel) != 4:
        raise ValueError("selectors: expected the four selector values")

    def leaf_value(leaf):
        if leaf.op in symbolic.COLUMN_KINDS:
            return opened[(leaf.op, leaf.data[1])][leaf.data[0]]
        return scalars[leaf.op][leaf.data[0]]

    roots, order = _constraint_order(air)
    values = symbolic.evaluate(roots, leaf_value, order)
    alpha = as_ext(alpha)
    total, power = Ext.ZERO, Ext.ONE
    for c, v in zip(air.constraints, values):
        total = total + power * sel[int(c.when)] * v
        power = power * alpha
    return total


def alpha_powers(alpha, n: int) -> np.ndarray:
    """``[1, alpha, ..., alpha^(n-1)]`` as an ``(n, 4)`` uint32 array."""
    alpha = as_ext(alpha)
    out = np.empty((n, 4), dtype=np.uint32)
    power = Ext.ONE
    for i in range(n):
        out[i] = power.coeffs
        power = power * alpha
    return out


# --- helpers -------------------------------------------------------------------------

_orders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _constraint_order(air) -> tuple[list, list]:
    """The constraints' roots and their topological order, once per AIR (a verifier
    checking many proofs of one AIR walks the DAG once)."""
    cached = _orders.get(air)
    if cached is None:
        roots = [c.expr for c in air.constraints]
        cached = (roots, symbolic.topological_order(roots))
        _orders[air] = cached
    return cached


def _prover_inputs(air, main, prep, aux, selectors, publics, challenges, aux_publics,
                   stride, start, stop, check_values) -> tuple[dict, int, int]:
    main = as_matrix(main, air.n_main, None, "main", check_range=False)
    n = main.shape[1]
    stop = n if stop is None else stop
    if not 0 <= start <= stop <= n:
        raise ValueError(f"points {start}..{stop} do not lie in a domain of {n} points")
    if not isinstance(stride, (int, np.integer)) or not 0 < stride <= max(n, 1):
        raise ValueError(f"stride must lie in [1, N] = [1, {n}], not {stride!r}")
    args = {
        "main": main,
        "prep": as_matrix(prep, air.n_prep, n, "prep", check_range=False),
        "aux": as_matrix(aux, air.n_aux_base, n, "aux", check_range=False),
        "selectors": as_matrix(selectors, 4, n, "selectors", check_range=False),
        "publics": as_base_vector(publics, len(air.public_names), "public values"),
        "challenges": as_ext_rows(challenges, len(air.challenge_names), "challenges"),
        "aux_publics": as_ext_rows(aux_publics, len(air.aux_public_names), "aux publics"),
    }
    # Check only the points this call reads: a prover evaluating a large domain in
    # ranges then scans each column once in all.
    for key in ("main", "prep", "aux", "selectors") if check_values else ():
        check_points(args[key], start, stop, key)
        if key != "selectors":
            check_points(args[key], start + stride, stop + stride, key)
    return args, start, stop


def _ext_times(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Extension constant ``a`` (4,) times ``v``: ``(N,)`` base or ``(4, N)`` ext."""
    if v.ndim == 1:
        return a[:, None] * v[None, :] % P
    out = np.zeros_like(v)
    for i in range(4):
        for j in range(4):
            prod = a[i] * v[j] % P
            k = i + j
            if k >= 4:
                prod, k = prod * W % P, k - 4
            out[k] = (out[k] + prod) % P
    return out


def _ext_list(values, n: int, what: str) -> list[Ext]:
    return [Ext(*map(int, row)) for row in as_ext_rows(values, n, what)]


def _recombine(base_openings: Sequence[Ext]) -> list[Ext]:
    """Extension column ``t`` from the openings of its base columns 4t..4t+3."""
    x = Ext(0, 1, 0, 0)
    out = []
    for t in range(len(base_openings) // 4):
        c = base_openings[4 * t:4 * t + 4]
        out.append(c[0] + x * (c[1] + x * (c[2] + x * c[3])))
    return out
