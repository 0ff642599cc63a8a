"""Benchmark: Merkle commitment throughput against hashlib's single-stream SHA-256.

Run on its own: ``python -m engine.cli.bench.merkle [--quick]``.
"""
from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

from engine.cli.bench.timing import best_seconds
from engine.field.babybear import P
from engine.hash.merkle import merkle_commit

# A 2^16-row x 100-column trace-like matrix: 26.2 MB of leaf data.
_LOG_ROWS = 16
_COLUMNS = 100


def run(quick: bool) -> dict:
    """Measure and return ``{"merkle_mb_per_s", "hashlib_mb_per_s", ...}``.

    ``merkle_mb_per_s``: MB (10^6 bytes) of leaf data committed per second, for a
    2^16 x 100 matrix of canonical BabyBear values, best run after one warm-up
    (which also compiles or loads the kernels). ``hashlib_mb_per_s``: one
    ``hashlib.sha256`` over a large buffer, best run, in the same process.
    ``quick`` does fewer runs and a smaller hashlib buffer.
    """
    repeats = 2 if quick else 5
    matrix = np.random.default_rng(0).integers(0, P, size=(_COLUMNS, 1 << _LOG_ROWS),
                                               dtype=np.uint32)
    merkle_s = best_seconds(lambda: merkle_commit([matrix]), repeats)
    buffer = np.random.default_rng(1).integers(0, 256, size=(16 if quick else 64) << 20,
                                               dtype=np.uint8).tobytes()
    hashlib_s = best_seconds(lambda: hashlib.sha256(buffer).digest(), repeats,
                             warm_up=False)
    return {
        "merkle_mb_per_s": round(matrix.nbytes / merkle_s / 1e6, 1),
        "hashlib_mb_per_s": round(len(buffer) / hashlib_s / 1e6, 1),
        "merkle_rows": matrix.shape[1],
        "merkle_columns": matrix.shape[0],
        "merkle_seconds": round(merkle_s, 4),
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:])))
