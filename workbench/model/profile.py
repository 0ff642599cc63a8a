"""Cycles by function: the trace's pc column bucketed by the ELF's function symbols.

Symbols may alias (``free``/``cfree`` at one address), nest (``__riscv_save_8``
starts inside ``__riscv_save_12``) or have no size (a label such as ``vfprintf`` at
the start of ``__d_vfprintf``). A pc belongs to the innermost function containing it
(the latest start, then the smallest size); aliases and size-0 labels at a function's
start share its line of the profile, and a lone size-0 label covers its one address. The
address space is cut into elementary intervals at every symbol start and end, each
interval gets its owner once, and the pcs are located with one ``np.searchsorted``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTSIDE = "(outside any function)"


@dataclass(frozen=True)
class FunctionCycles:
    """One line of the profile: a function (with its aliases) and the cycles spent in it."""
    name: str
    address: int
    size: int
    cycles: int
    aliases: tuple[str, ...] = ()


def cycles_by_function(pc: np.ndarray, symbols) -> list[FunctionCycles]:
    """Cycles spent in each function, most first, for the pcs of a trace.

    ``pc`` is the trace's pc column (any integer dtype, one entry per cycle);
    ``symbols`` are ``engine.vm.Symbol``-like objects (``name``, ``address``, ``size``).
    Functions never executed are left out; cycles at no symbol are one line named
    ``OUTSIDE`` (address -1). The cycles always sum to ``len(pc)``.
    """
    functions = _merge_aliases(symbols)
    pc = np.asarray(pc).astype(np.int64, copy=False)
    bounds, owner = _elementary_intervals(functions)
    if bounds.size:
        interval = np.searchsorted(bounds, pc, side="right") - 1
        inside = (interval >= 0) & (interval < owner.shape[0])
        owners = np.full(pc.shape[0], -1, dtype=np.int64)
        owners[inside] = owner[interval[inside]]
    else:
        owners = np.full(pc.shape[0], -1, dtype=np.int64)
    counts = np.bincount(owners + 1, minlength=len(functions) + 1)
    lines = [FunctionCycles(f.name, f.address, f.size, int(c), f.aliases)
             for f, c in zip(functions, counts[1:]) if c]
    if counts[0]:
        lines.append(FunctionCycles(OUTSIDE, -1, 0, int(counts[0])))
    lines.sort(key=lambda line: (-line.cycles, line.address))
    return lines


def _merge_aliases(symbols) -> list[FunctionCycles]:
    """One entry per distinct (address, size); the preferred name is the plainest."""
    groups: dict[tuple[int, int], list[str]] = {}
    labels: dict[int, list[str]] = {}
    for sym in symbols:
        if int(sym.size) > 0:
            groups.setdefault((int(sym.address), int(sym.size)), []).append(sym.name)
        else:
            labels.setdefault(int(sym.address), []).append(sym.name)
    for address, names in labels.items():
        sized = [key for key in groups if key[0] == address]
        key = max(sized, key=lambda k: k[1]) if sized else (address, 1)
        groups.setdefault(key, []).extend(names)
    merged = []
    for (address, size), names in sorted(groups.items()):
        names = sorted(set(names), key=lambda n: (n.startswith("_"), len(n), n))
        merged.append(FunctionCycles(names[0], address, size, 0, tuple(names[1:])))
    return merged


def _elementary_intervals(functions: list[FunctionCycles]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted boundaries and, for each interval ``[b[i], b[i+1])``, its owning function.

    The owner is the containing function with the highest start (the innermost), ties
    going to the smallest; -1 where no function covers the interval.
    """
    if not functions:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bounds = np.unique([b for f in functions for b in (f.address, f.address + f.size)])
    owner = np.full(bounds.shape[0] - 1, -1, dtype=np.int64)
    best_start = np.full(owner.shape[0], -1, dtype=np.int64)
    best_size = np.zeros(owner.shape[0], dtype=np.int64)
    for index, f in enumerate(functions):
        lo, hi = np.searchsorted(bounds, [f.address, f.address + f.size])
        span = slice(lo, hi)
        better = (f.address > best_start[span]) | \
            ((f.address == best_start[span]) & (f.size < best_size[span]))
        owner[span] = np.where(better, index, owner[span])
        best_size[span] = np.where(better, f.size, best_size[span])
        best_start[span] = np.where(better, f.address, best_start[span])
    return bounds, owner
