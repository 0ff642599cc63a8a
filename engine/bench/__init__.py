"""``zkwb bench``: the engine's speed on this machine, one section per component.

Each section module has ``run(quick: bool) -> dict`` returning flat, JSON-ready
figures; ``run_all`` merges them with a description of the machine. Figures that need a
fresh process come from the named routines of ``engine.bench.children``.
"""
from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterable

SECTIONS = ("executor", "ntt", "merkle", "stark", "prove", "startup")


def run_all(quick: bool = False, log: Callable[[str], None] | None = None,
            only: Iterable[str] | None = None) -> dict:
    """Run the sections (``only`` those named, in the order of :data:`SECTIONS`).

    Raises ``ValueError`` for a name in ``only`` that is not a section.
    """
    import platform

    import numba
    import numpy
    chosen = SECTIONS if only is None else selected_sections(only)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "quick": quick,
    }
    for name in chosen:
        if log:
            log(f"bench: {name}…")
        start = time.perf_counter()
        module = importlib.import_module(f"engine.bench.{name}")
        results.update(module.run(quick))
        results[f"{name}_bench_seconds"] = round(time.perf_counter() - start, 1)
    return results


def selected_sections(names: Iterable[str]) -> tuple[str, ...]:
    """The sections named in ``names``, in the order of :data:`SECTIONS`, each once.

    Raises ``ValueError`` naming the unknown ones, or if ``names`` is empty.
    """
    wanted = [name.strip() for name in names]
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown bench section {', '.join(map(repr, unknown))}; "
                         f"the sections are {', '.join(SECTIONS)}")
    if not wanted:
        raise ValueError(f"no bench section named; the sections are {', '.join(SECTIONS)}")
    return tuple(name for name in SECTIONS if name in wanted)
