"""Proving a long run in segments (continuations): the ``primes`` guest on a run of
about 10 M cycles in segments of the default height (2^18 rows), or, ``quick``, about
1 M cycles in segments of 2^16 rows.

The run is proved in a fresh interpreter, so ``cont_peak_rss_mb`` is that process's
own peak, which with segments is set by one segment, not by the run. A short proof in
two segments first loads the compiled kernels (and a verification the verifier's), so
the figures are warm; ``cont_compile_seconds`` is what the measured proof and its
verification still spent compiling (not 0: a cold cache, run the bench again).
``cont_khz`` is the run's cycles over the wall time of ``engine.prove`` (execution,
every segment's witness and both proving phases); ``cont_verify_ms`` the whole
receipt's verification.
"""
from __future__ import annotations

import json

from engine.cli.bench.children import run_child

#: The ``primes`` guest's N for each size (its sieve costs ~7.4 cycles per unit of N):
#: 1,340,000 runs 10,022,892 cycles and 140,000 runs 997,260.
FULL_LIMIT = 1_340_000
QUICK_LIMIT = 140_000
QUICK_LOG_SEGMENT_HEIGHT = 16


def run(quick: bool) -> dict:
    from engine.prover import DEFAULT_LOG_SEGMENT_HEIGHT
    if quick:
        figures = measure(QUICK_LIMIT, QUICK_LOG_SEGMENT_HEIGHT)
    else:
        figures = measure(FULL_LIMIT, DEFAULT_LOG_SEGMENT_HEIGHT)
    segments = figures["segments"]
    return {
        "cont_guest": "primes",
        "cont_cycles": figures["cycles"],
        "cont_segments": segments,
        "cont_segment_rows": figures["segment_rows"],
        "cont_khz": round(figures["khz"], 2),
        "cont_seconds": round(figures["seconds"], 3),
        "cont_peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "cont_verify_ms": round(figures["verify_ms"], 1),
        "cont_verify_ms_per_segment": round(figures["verify_ms"] / segments, 2),
        "cont_receipt_bytes": figures["receipt_bytes"],
        "cont_receipt_bytes_per_segment": round(figures["receipt_bytes"] / segments),
        "cont_compile_seconds": round(figures["compile_seconds"], 3),
    }


def measure(limit: int, log_segment_height: int) -> dict:
    """The child's figures for ``primes`` on ``limit`` in ``2^log_segment_height``-row
    segments (``engine.cli.bench.children``, ``prove-continuations``)."""
    return json.loads(run_child("prove-continuations", str(limit), str(log_segment_height)))
