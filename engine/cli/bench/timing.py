"""Best-of-N wall-clock timing, shared by the benchmark sections."""
from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_seconds"]


def best_seconds(work: Callable[[], object], repeats: int, *, warm_up: bool = True) -> float:
    """Shortest wall time in seconds of ``repeats`` calls of ``work()``.

    ``warm_up``: call ``work()`` once, untimed, first (it compiles or loads the
    kernels, fills caches).
    """
    if warm_up:
        work()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best
