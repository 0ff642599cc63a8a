"""Benchmark of the NTT and the coset LDE, against NumPy's complex FFT as a yardstick.

Run on its own with ``python -m engine.cli.bench.ntt [--quick]``; ``zkwb bench`` calls
:func:`run`.
"""
from __future__ import annotations

import json
import sys

import numba
import numpy as np

from engine.cli.bench.timing import best_seconds
from engine.field.babybear import bb_random
from engine.poly.ntt import coset_lde, ntt

NTT_LOG_N = 20
LDE_LOG_N = 16
LDE_COLUMNS = 100
LDE_LOG_BLOWUP = 2


def run(quick: bool) -> dict:
    """Time a 2^20-point NTT, NumPy's FFT of the same length and a 100-column LDE.

    Returns ``ntt_melem_per_s`` (one column of 2^20 points), ``numpy_fft_melem_per_s``
    (``numpy.fft.fft`` of 2^20 complex128 values, same run), ``lde_melem_per_s``
    (input elements per second of a 2^16-row, 100-column coset LDE with blowup 4),
    the best times in seconds behind them, and ``ntt_threads``. Every figure is the
    best of several runs after a warm-up (which also compiles the kernels).
    """
    rng = np.random.default_rng(2024)
    repeats = 3 if quick else 10
    column = bb_random(rng, 1 << NTT_LOG_N)
    signal = rng.standard_normal(1 << NTT_LOG_N) + 1j * rng.standard_normal(1 << NTT_LOG_N)
    trace = bb_random(rng, (LDE_COLUMNS, 1 << LDE_LOG_N))

    ntt_s = best_seconds(lambda: ntt(column), repeats)
    fft_s = best_seconds(lambda: np.fft.fft(signal), repeats)
    lde_s = best_seconds(lambda: coset_lde(trace, LDE_LOG_BLOWUP), 2 if quick else 4)
    return {
        "ntt_melem_per_s": round(column.size / ntt_s / 1e6, 1),
        "numpy_fft_melem_per_s": round(signal.size / fft_s / 1e6, 1),
        "lde_melem_per_s": round(trace.size / lde_s / 1e6, 1),
        "ntt_seconds": round(ntt_s, 5),
        "numpy_fft_seconds": round(fft_s, 5),
        "lde_seconds": round(lde_s, 4),
        "ntt_threads": numba.get_num_threads(),
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
