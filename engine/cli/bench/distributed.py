"""Distributed proving (``docs/distributed.md``): the continuations guest proved in
this process, on one local Dask worker and on two (``zkwb prove --workers N``).

Each mode runs in a fresh interpreter (``prove-distributed`` in
``engine.cli.bench.children``): a local warm-up proof loads the kernels there; with
workers, a ``LocalCluster`` of N worker processes is started (``dist_cluster_start_
seconds``), a short run of 2^10-row segments is proved through it first (its
workers' first tasks load their kernels: ``dist_first_task_seconds`` is what a
worker's first task took over its later ones), then the measured run. The figures:

* ``dist_local_seconds``, ``dist_w1_seconds``, ``dist_w2_seconds``: the wall time of
  ``engine.prove`` in each mode (the cluster's start not included), and ``_khz``;
* ``dist_overhead_pct``: one worker's time over in-process, in percent (what the
  tasks, the driver's second pass over the run and its checks of every seal cost);
* ``dist_speedup_w2``: in-process time over two workers' time;
* ``dist_segment_seconds``: the median time of one segment's proof on a worker;
* ``dist_driver_serial_seconds``: what the driver does alone, the part that does not
  shrink with more workers: executing the run, the global challenges and verifying
  the receipt (on one worker; both phases of the segments' proofs run on workers);
* ``dist_phase_one_seconds``: phase one on one worker (every segment's witness and
  stage-0 commitment, in parallel on more workers).
"""
from __future__ import annotations

import json

from engine.cli.bench.children import run_child

#: The ``primes`` guest's N and the segment height of each size: 140,000 runs 997,260
#: cycles (16 segments of 2^16 rows); quick, 30,000 runs about 214,000 (14 of 2^14).
FULL = (140_000, 16)
QUICK = (30_000, 14)


def run(quick: bool) -> dict:
    limit, log_height = QUICK if quick else FULL
    local = measure("local", limit, log_height)
    one = measure("1", limit, log_height)
    two = measure("2", limit, log_height)
    if not local["cycles"] == one["cycles"] == two["cycles"]:
        raise RuntimeError("the three modes proved runs of different lengths")
    phases = one["phases"]
    serial = sum(phases.get(p, 0.0) for p in ("execute", "global challenges",
                                               "verify receipt"))
    return {
        "dist_guest": "primes", "dist_cycles": local["cycles"],
        "dist_segments": local["segments"], "dist_segment_rows": 1 << log_height,
        "dist_local_seconds": round(local["seconds"], 3),
        "dist_w1_seconds": round(one["seconds"], 3),
        "dist_w2_seconds": round(two["seconds"], 3),
        "dist_local_khz": round(local["khz"], 2), "dist_w1_khz": round(one["khz"], 2),
        "dist_w2_khz": round(two["khz"], 2),
        "dist_overhead_pct": round(100 * (one["seconds"] / local["seconds"] - 1), 1),
        "dist_speedup_w2": round(local["seconds"] / two["seconds"], 2),
        "dist_segment_seconds": round(one["segment_seconds"], 3),
        "dist_driver_serial_seconds": round(serial, 3),
        "dist_phase_one_seconds": round(phases.get("stage0", 0.0), 3),
        "dist_cluster_start_seconds": round(max(one["cluster_start_seconds"],
                                                two["cluster_start_seconds"]), 2),
        "dist_first_task_seconds": round(max(one["first_task_seconds"],
                                             two["first_task_seconds"]), 3),
        "dist_compile_seconds": round(local["compile_seconds"] + one["compile_seconds"]
                                      + two["compile_seconds"], 3),
    }


def measure(mode: str, limit: int, log_height: int) -> dict:
    """The child's figures for ``mode`` (``local`` or a number of workers)."""
    return json.loads(run_child("prove-distributed", mode, str(limit), str(log_height)))
