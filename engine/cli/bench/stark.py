"""Benchmark of the STARK prover and verifier on the wide example AIR.

Run on its own with ``python -m engine.cli.bench.stark [--quick] [--log-height K]
[--columns M]``; ``zkwb bench`` calls :func:`run` with the defaults: the AIR is
``engine.stark.examples.wide`` with 100 columns (100 main, 1 preprocessed, 4 extension
aux columns, 85 constraints of degree 3) at 2^16 rows, default
:class:`engine.stark.params.ProofParams` (blowup 4, 43 queries, 16-bit grinding, zero
knowledge). ``--log-height 18 --columns 250`` is the size of a machine-AIR segment
(about a minute, most of it compiling the kernel on first use).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np

from engine.cli.bench.children import run_child
from engine.events import PhaseFinished
from engine.stark import keys
from engine.stark.examples import wide
from engine.stark.params import ProofParams
from engine.stark.proof import encode_proof
from engine.stark.protocol import trace_shape
from engine.stark.prover import prove
from engine.stark.verifier import clear_caches, verify

LOG_HEIGHT = 16
COLUMNS = 100


def run(quick: bool, *, log_height: int = LOG_HEIGHT, columns: int = COLUMNS) -> dict:
    """Prove and verify the wide AIR; best of several runs after a warm-up.

    Returns ``stark_prove_seconds`` (``prove`` with its default row check),
    ``stark_prove_peak_rss_mib`` (the process's peak resident memory during one
    ``prove``, Linux only), ``stark_verify_ms`` (with the preprocessed root already
    known, as a verifier that checks several proofs of one program has it),
    ``stark_verify_cold_ms`` (recomputing it: its key forgotten), ``stark_verify_fresh_process_ms`` (the
    first ``verify`` in a new interpreter, after ``stark_fresh_process_import_ms`` of
    imports: what a command-line verifier pays), ``stark_proof_bytes`` (the encoding),
    ``stark_security_bits``, ``stark_trace_rows``, ``stark_columns`` and
    ``stark_phase_<name>_seconds`` for the prover's phases in the fastest run.
    """
    params = ProofParams()
    rng = np.random.default_rng(2024)
    air = wide.build_air(columns)
    witness = wide.honest_witness(trace_shape(1 << log_height, params), rng, columns)
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
    peak = None
    for _ in range(repeats):
        _reset_peak_memory()
        seconds, proof, phases = prove_once()
        peak = _peak_memory_mb()
        if seconds < best:
            best, best_phases = seconds, phases
    cold = float("inf")
    for _ in range(repeats):
        clear_caches()
        keys.clear()
        cold = min(cold, verify_once(proof))
    warm = min(verify_once(proof) for _ in range(3 * repeats))
    fresh = _fresh_process_verify(encode_proof(proof), columns, witness.publics,
                                  1 if quick else 3)
    figures = {
        "stark_prove_seconds": round(best, 3),
        "stark_verify_ms": round(1000 * warm, 1),
        "stark_verify_cold_ms": round(1000 * cold, 1),
        "stark_verify_fresh_process_ms": round(fresh["verify_ms"], 1),
        "stark_fresh_process_import_ms": round(fresh["import_ms"], 1),
        "stark_proof_bytes": len(encode_proof(proof)),
        "stark_security_bits": proof.security_bits,
        "stark_trace_rows": 1 << log_height,
        "stark_columns": columns,
    }
    if peak is not None:
        figures["stark_prove_peak_rss_mib"] = round(peak)
    for phase, seconds in best_phases.items():
        figures[f"stark_phase_{phase.replace(' ', '_')}_seconds"] = round(seconds, 3)
    return figures


def _fresh_process_verify(data: bytes, columns: int, publics: np.ndarray,
                          repeats: int) -> dict:
    """The fastest of ``repeats`` fresh interpreters verifying ``data``."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.proof")
        with open(path, "wb") as file:
            file.write(data)
        runs = []
        for _ in range(repeats):
            output = run_child("stark-fresh-verify", path, str(columns),
                               json.dumps([int(v) for v in publics]))
            runs.append(json.loads(output))
    if not all(r["valid"] for r in runs):
        raise RuntimeError("benchmark proof did not verify in a fresh process")
    return min(runs, key=lambda r: r["verify_ms"])


def _reset_peak_memory() -> None:
    """Reset the kernel's peak-RSS counter of this process (Linux; else nothing)."""
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
    except OSError:
        pass


def _peak_memory_mb() -> float | None:
    """Peak resident memory since the last reset, in MiB (Linux; else None)."""
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--log-height", type=int, default=LOG_HEIGHT)
    parser.add_argument("--columns", type=int, default=COLUMNS)
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.quick, log_height=arguments.log_height,
                         columns=arguments.columns), indent=2))
