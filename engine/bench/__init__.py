"""``zkwb bench``: the engine's speed on this machine, one section per component.

Each section module has ``run(quick: bool) -> dict`` returning flat, JSON-ready
figures; ``run_all`` merges them with a description of the machine.
"""
from __future__ import annotations

import importlib
import os
import platform
import time
from typing import Callable

SECTIONS = ("executor", "ntt", "merkle", "stark", "prove")


def run_all(quick: bool = False, log: Callable[[str], None] | None = None) -> dict:
    import numba
    import numpy
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "quick": quick,
    }
    for name in SECTIONS:
        if log:
            log(f"bench: {name}…")
        start = time.perf_counter()
        module = importlib.import_module(f"engine.bench.{name}")
        results.update(module.run(quick))
        results[f"{name}_bench_seconds"] = round(time.perf_counter() - start, 1)
    return results
