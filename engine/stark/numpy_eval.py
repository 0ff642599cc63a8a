"""Vectorized NumPy evaluation of expression DAGs over all points of a domain at once.

One NumPy operation per DAG node, over arrays of ``N`` points: simple and obviously
correct, and fast enough for the row checker and witness generation. The prover uses
the generated Numba kernels instead (:mod:`engine.stark.codegen`); ``docs/air.md``
compares the two.

Values: a base-field node is a ``uint64`` array of shape ``(N,)``, an extension node a
tuple of four; row-invariant nodes stay ``np.uint64`` scalars. Every value is
canonical. An intermediate is dropped as soon as its last user has read it.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.field.babybear import P
from engine.field.ext4 import W
from engine.stark.symbolic import Expr, topological_order

_P = np.uint64(P)
_W = np.uint64(W)


def evaluate_numpy(roots: Sequence[Expr], *, main: np.ndarray, prep: np.ndarray | None = None,
                   aux: np.ndarray | None = None, publics: np.ndarray | None = None,
                   challenges: np.ndarray | None = None,
                   aux_publics: np.ndarray | None = None, stride: int = 1) -> list[np.ndarray]:
    """Evaluate ``roots`` at every point ``i < N`` of a domain.

    Column matrices are ``(n_columns, N)`` uint32 (``aux`` holds 4 base columns per
    extension column); the next row of point ``i`` is point ``(i + stride) mod N``.
    ``publics`` is ``(n,)``, ``challenges`` and ``aux_publics`` ``(n, 4)``, all uint32
    and canonical (callers validate). Returns per root a uint32 array: ``(N,)`` for a
    base-field root, ``(4, N)`` (coefficients c0..c3) for an extension one.
    """
    n = main.shape[1]
    order = topological_order(roots)
    uses: dict[int, int] = {}
    for node in order:
        for arg in node.args:
            uses[arg.uid] = uses.get(arg.uid, 0) + 1
    keep = {r.uid for r in roots}
    values: dict[int, object] = {}
    arrays = {"main": main, "prep": prep, "aux": aux}
    scalars = {"public": publics, "challenge": challenges, "aux_public": aux_publics}
    for node in order:
        if node.op == "const":
            value = np.uint64(node.data[0])
        elif node.op in arrays:
            value = _column(arrays[node.op], node, stride)
        elif node.op in scalars:
            row = scalars[node.op][node.data[0]]
            value = np.uint64(row) if node.op == "public" else tuple(np.uint64(c) for c in row)
        else:
            value = _operation(node.op, [values[a.uid] for a in node.args])
            for arg in node.args:
                uses[arg.uid] -= 1
                if uses[arg.uid] == 0 and arg.uid not in keep:
                    del values[arg.uid]
        values[node.uid] = value
    return [_as_output(values[r.uid], n) for r in roots]


def _column(matrix: np.ndarray, node: Expr, stride: int):
    index, next_row, _ = node.data
    if node.op == "aux":
        rows = [matrix[4 * index + c] for c in range(4)]
        return tuple(_shift(r, stride if next_row else 0) for r in rows)
    return _shift(matrix[index], stride if next_row else 0)


def _shift(row: np.ndarray, stride: int) -> np.ndarray:
    return (np.roll(row, -stride) if stride else row).astype(np.uint64)


def _operation(op: str, args: list):
    if op == "neg":
        a = args[0]
        return tuple(_neg(x) for x in a) if isinstance(a, tuple) else _neg(a)
    a, b = args
    if op == "mul":
        if isinstance(a, tuple) and isinstance(b, tuple):
            return _ext_mul(a, b)
        if isinstance(a, tuple) or isinstance(b, tuple):
            e, s = (a, b) if isinstance(a, tuple) else (b, a)
            return tuple(x * s % _P for x in e)
        return a * b % _P
    fn = _add if op == "add" else _sub
    if isinstance(a, tuple) or isinstance(b, tuple):
        a4 = a if isinstance(a, tuple) else (a, _ZERO, _ZERO, _ZERO)
        b4 = b if isinstance(b, tuple) else (b, _ZERO, _ZERO, _ZERO)
        return tuple(fn(x, y) for x, y in zip(a4, b4))
    return fn(a, b)


_ZERO = np.uint64(0)


def _add(a, b):
    return (a + b) % _P


def _sub(a, b):
    return (a + (_P - b)) % _P


def _neg(a):
    return (_P - a) % _P


def _ext_mul(a, b):
    a0, a1, a2, a3 = a
    b0, b1, b2, b3 = b
    h0 = (a1 * b3 % _P + a2 * b2 % _P + a3 * b1 % _P) % _P
    h1 = (a2 * b3 % _P + a3 * b2 % _P) % _P
    h2 = a3 * b3 % _P
    return ((a0 * b0 % _P + _W * h0) % _P,
            (a0 * b1 % _P + a1 * b0 % _P + _W * h1) % _P,
            (a0 * b2 % _P + a1 * b1 % _P + a2 * b0 % _P + _W * h2) % _P,
            (a0 * b3 % _P + a1 * b2 % _P + a2 * b1 % _P + a3 * b0 % _P) % _P)


def _as_output(value, n: int) -> np.ndarray:
    if isinstance(value, tuple):
        return np.stack([np.broadcast_to(c, (n,)) for c in value]).astype(np.uint32)
    return np.broadcast_to(value, (n,)).astype(np.uint32)
