"""Benchmark of the STARK prover and verifier on the 100-column example AIR.

Run on its own with ``python -m engine.bench.stark [--quick]``; ``zkwb bench`` calls
:func:`run`. The AIR is ``engine.stark.examples.wide`` with 100 columns (100 main, 1
preprocessed, 4 extension aux columns, 85 constraints of degree 3) at 2^16 rows,
default :class:`engine.stark.params.ProofParams` (blowup 4, 43 queries, 16-bit
grinding, zero knowledge).
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from engine.events import PhaseFinished
from engine.stark.examples import wide
from engine.stark.params import ProofParams
from engine.stark.proof import encode_proof
from engine.stark.protocol import trace_shape
from engine.stark.prover import prove
from engine.stark.verifier import clear_caches, verify

LOG_HEIGHT = 16
COLUMNS = 100


def run(quick: bool) -> dict:
    """Prove and verify the wide AIR; best of several runs after a warm-up.

    Returns ``stark_prove_seconds`` (``prove`` with its default row check),
    ``stark_verify_ms`` (with the preprocessed root already known, as a verifier
    that checks several proofs of one program has it), ``stark_verify_cold_ms``
    (recomputing it), ``stark_proof_bytes`` (the encoding), ``stark_security_bits``,
    ``stark_trace_rows``, ``stark_columns`` and ``stark_phase_<name>_seconds`` for
    the prover's phases in the fastest run.
    """
    params = ProofParams()
    rng = np.random.default_rng(2024)
    air = wide.build_air(COLUMNS)
    witness = wide.honest_witness(trace_shape(1 << LOG_HEIGHT, params), rng, COLUMNS)
    repeats = 2 if quick else 5

    def prove_once():
        phases = {}

        def on_event(event):
            if isinstance(event, PhaseFinished):
                phases[event.phase] = event.seconds

        start = time.perf_counter()
        proof = prove(air, witness.main, public_values=witness.publics, params=params,
                      on_event=on_event)
        return time.perf_counter() - start, proof, phases

    def verify_once(proof) -> float:
        start = time.perf_counter()
        result = verify(air, proof, public_values=witness.publics, params=params)
        elapsed = time.perf_counter() - start
        if not result.valid:
            raise RuntimeError(f"benchmark proof did not verify: {result.reason}")
        return elapsed

    _, proof, _ = prove_once()          # warm-up: compiles (or loads) every kernel
    verify_once(proof)
    best, best_phases = float("inf"), {}
    for _ in range(repeats):
        seconds, proof, phases = prove_once()
        if seconds < best:
            best, best_phases = seconds, phases
    cold = float("inf")
    for _ in range(repeats):
        clear_caches()
        cold = min(cold, verify_once(proof))
    warm = min(verify_once(proof) for _ in range(3 * repeats))
    figures = {
        "stark_prove_seconds": round(best, 3),
        "stark_verify_ms": round(1000 * warm, 1),
        "stark_verify_cold_ms": round(1000 * cold, 1),
        "stark_proof_bytes": len(encode_proof(proof)),
        "stark_security_bits": proof.security_bits,
        "stark_trace_rows": 1 << LOG_HEIGHT,
        "stark_columns": COLUMNS,
    }
    for phase, seconds in best_phases.items():
        figures[f"stark_phase_{phase.replace(' ', '_')}_seconds"] = round(seconds, 3)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
