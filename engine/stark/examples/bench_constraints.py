"""Benchmark: the generated Numba constraint evaluator against the NumPy one.

Run ``python -m engine.stark.examples.bench_constraints [--log-height 16]
[--columns 100] [--blowup-log 2] [--json]``. It builds the synthetic wide AIR, fills
the LDE-sized column matrices with random field elements (evaluation cost does not
depend on the values), and reports seconds and points per second for:

* code generation + Numba compilation of the constraint kernel (first call),
* the compiled kernel over the whole quotient domain (best of three),
* the NumPy evaluator over the same domain (one run),
* the LogUp aux trace and the row checker on an honest witness of ``H`` rows.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from engine.field.babybear import bb_random
from engine.field.scalar import Ext
from engine.stark.air import TraceShape
from engine.stark.check_constraints import check_constraints
from engine.stark.constraints import evaluate_constraints, evaluate_constraints_numpy
from engine.stark.examples import wide
from engine.stark.logup_trace import build_aux_trace


def run(log_height: int = 16, n_columns: int = 100, blowup_log: int = 2,
        zk_rows: int = 64) -> dict:
    """Measure everything; returns the figures as a dict (seconds, points/s)."""
    rng = np.random.default_rng(1)
    air = wide.build_air(n_columns)
    n = 1 << (log_height + blowup_log)
    inputs = {
        "main": bb_random(rng, (air.n_main, n)), "prep": bb_random(rng, (air.n_prep, n)),
        "aux": bb_random(rng, (air.n_aux_base, n)), "selectors": bb_random(rng, (4, n)),
        "publics": bb_random(rng, len(air.public_names)),
        "challenges": bb_random(rng, (len(air.challenge_names), 4)),
        "aux_publics": bb_random(rng, (len(air.aux_public_names), 4)),
        "alpha": Ext(*bb_random(rng, 4).tolist()), "stride": 1 << blowup_log}
    small = {k: (v[:, :1 << blowup_log + 4] if k in ("main", "prep", "aux", "selectors")
                 else v) for k, v in inputs.items()}
    figures = {"log_height": log_height, "domain_points": n, "main_columns": air.n_main,
               "aux_ext_columns": air.n_aux, "constraints": len(air.constraints),
               "threads": _threads()}
    t0 = time.perf_counter()
    evaluate_constraints(air, **small)
    figures["numba_first_call_s"] = time.perf_counter() - t0
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        fast = evaluate_constraints(air, **inputs)
        best = min(best, time.perf_counter() - t0)
    figures["numba_s"] = best
    t0 = time.perf_counter()
    slow = evaluate_constraints_numpy(air, **inputs)
    figures["numpy_s"] = time.perf_counter() - t0
    figures["results_equal"] = bool(np.array_equal(fast, slow))
    figures["numba_points_per_s"] = n / figures["numba_s"]
    figures["speedup"] = figures["numpy_s"] / figures["numba_s"]

    shape = TraceShape(1 << log_height, zk_rows)
    witness = wide.honest_witness(shape, rng, n_columns)
    prep = witness.preprocessed(air)
    challenges = [Ext(*bb_random(rng, 4).tolist()) for _ in air.challenge_names]
    build_aux_trace(air, witness.main[:, :1024], prep[:, :1024], witness.publics,
                    challenges, zk_rows, rng)  # compile
    t0 = time.perf_counter()
    aux, logup_sum = build_aux_trace(air, witness.main, prep, witness.publics,
                                     challenges, zk_rows, rng)
    figures["aux_trace_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = check_constraints(air, witness.main, prep, witness.publics, zk_rows=zk_rows,
                               aux=aux, challenges=challenges, aux_publics=[logup_sum])
    figures["row_check_s"] = time.perf_counter() - t0
    figures["row_check_ok"] = report.ok
    return figures


def _threads() -> int:
    import numba
    return int(numba.config.NUMBA_NUM_THREADS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-height", type=int, default=16)
    parser.add_argument("--columns", type=int, default=100)
    parser.add_argument("--blowup-log", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args.log_height, args.columns, args.blowup_log)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>22}: {value:.4g}" if isinstance(value, float) else
              f"{key:>22}: {value}")
    print(f"{'cpu_count':>22}: {os.cpu_count()}")


if __name__ == "__main__":
    main()
