"""Proving RV32IM runs: the ``sha256`` guest on inputs sized to fill a 2^16-row trace
(and a 2^18-row one in the full bench).

Each size runs in a fresh interpreter, so ``peak_rss_mb`` is that process's own peak;
a small proof first loads the compiled kernels, so the figures are warm. The
``prove_*_again`` figures prove the same run a second time in that process, as a
long-lived one (the workbench) does: the first proof of a size also pays the operating
system for memory the process touches for the first time.
"""
from __future__ import annotations

import json

from engine.cli.bench.children import run_child

# sha256 costs ~6,000 cycles plus ~80 per input byte (docs/guest-abi.md); these sizes
# leave room under the trace heights for the zero-knowledge rows.
INPUT_BYTES = {16: 700, 18: 3000}


def run(quick: bool) -> dict:
    out: dict = {"prove_guest": "sha256"}
    for log_rows in (16,) if quick else (16, 18):
        figures = _measure(INPUT_BYTES[log_rows])
        suffix = "" if log_rows == 16 else f"_2^{log_rows}"
        out[f"prove_khz{suffix}"] = round(figures["khz"], 2)
        out[f"prove_seconds{suffix}"] = round(figures["seconds"], 3)
        out[f"prove_khz_again{suffix}"] = round(figures["khz_again"], 2)
        # Not 0: the small warm-up proof left kernels to compile, and they are in
        # prove_seconds (a cold cache; run the bench again).
        out[f"prove_compile_seconds{suffix}"] = round(figures["compile_seconds"], 3)
        out[f"prove_seconds_again{suffix}"] = round(figures["seconds_again"], 3)
        out[f"trace_rows{suffix}"] = figures["trace_rows"]
        out[f"prove_cycles{suffix}"] = figures["cycles"]
        out[f"verify_ms{suffix}"] = round(figures["verify_ms"], 1)
        out[f"receipt_bytes{suffix}"] = figures["receipt_bytes"]
        out[f"security_bits{suffix}"] = figures["security_bits"]
        out[f"peak_rss_mb{suffix}"] = round(figures["peak_rss_mb"], 1)
        out[f"prove_phase_seconds{suffix}"] = {k: round(v, 3) for k, v in figures["phases"].items()}
    return out


def _measure(input_bytes: int) -> dict:
    return json.loads(run_child("prove-sha256", str(input_bytes)))
