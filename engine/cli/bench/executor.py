"""Executor speed on the ``primes`` guest, with and without trace recording.

Also the time a fresh interpreter takes to import the engine, compile (cold Numba
cache) or load (warm cache) the executor kernels and run a small guest (``quick``
skips those two).
"""
from __future__ import annotations

import os
import tempfile

from engine.cli.bench.children import run_child
from engine.runtime.resources import guest_path


def run(quick: bool) -> dict:
    from engine.vm import execute, load_elf
    program = load_elf(guest_path("primes"))
    execute(load_elf(guest_path("hello")), b"warm-up", record_trace=True)
    reps = 2 if quick else 3
    plain = min((execute(program, b"") for _ in range(reps)), key=lambda r: r.seconds)
    traced = min((execute(program, b"", record_trace=True, max_trace_rows=1 << 25)
                  for _ in range(reps)), key=lambda r: r.seconds)
    out = {
        "executor_guest": "primes",
        "executor_cycles": plain.cycles,
        "executor_mhz": round(plain.mhz, 1),
        "executor_trace_mhz": round(traced.mhz, 1),
    }
    if not quick:
        with tempfile.TemporaryDirectory() as cache:
            cold = _fresh_process_seconds(cache)
            warm = _fresh_process_seconds(cache)
        out["executor_jit_cold_seconds"] = round(cold, 2)
        out["executor_jit_cached_seconds"] = round(warm, 2)
    return out


def _fresh_process_seconds(cache_dir: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    return float(run_child("executor-load-and-run", guest_path("hello"), env=env))
