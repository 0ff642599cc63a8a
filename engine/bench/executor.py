"""Executor speed on the ``primes`` guest, with and without trace recording.

Also the time a fresh interpreter takes to import the engine, compile (cold Numba
cache) or load (warm cache) the executor kernels and run a small guest (``quick``
skips those two).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from engine.resources import guest_path

_LOAD_AND_RUN = (
    "import time; t=time.perf_counter(); "
    "from engine.vm import load_elf, execute; "
    "execute(load_elf({path!r}), b'', record_trace=True); "
    "print(time.perf_counter()-t)"
)


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
    code = _LOAD_AND_RUN.format(path=guest_path("hello"))
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])
