"""Level of detail for long series: a min/max envelope of what is in view (NumPy, no Qt).

A 2^22-cycle trace has far more points than a plot has pixels. The envelope keeps,
for each of ``buckets`` consecutive slices of the visible range, its minimum and its
maximum, so every spike stays visible; zooming in recomputes it for the new range
until the raw points fit. Computing it is one ``np.searchsorted`` and two
``reduceat`` calls, a few milliseconds for 4M points, where handing 4M points to the
plot costs hundreds.
"""
from __future__ import annotations

import numpy as np

DEFAULT_BUCKETS = 2000


def envelope(y: np.ndarray, x: np.ndarray | None = None, x_min: float | None = None,
             x_max: float | None = None, buckets: int = DEFAULT_BUCKETS):
    """Points to draw for ``y`` (at ``x``, or at 0, 1, 2… when ``x`` is None) over
    ``[x_min, x_max]``.

    Returns ``(x, y, exact)`` as float64 arrays: the raw points (plus one on each side,
    so lines leave the view) when at most ``2 * buckets`` are visible, else two points
    per bucket, its minimum and its maximum, at the bucket's first x; ``exact`` says
    which. ``x`` must be sorted.
    """
    n = y.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros(0), True
    first_x = 0.0 if x is None else float(x[0])
    last_x = float(n - 1) if x is None else float(x[-1])
    lo_x = first_x if x_min is None else max(float(x_min), first_x)
    hi_x = last_x if x_max is None else min(float(x_max), last_x)
    if x is None:
        start = max(int(np.floor(lo_x)) - 1, 0)
        stop = min(int(np.ceil(hi_x)) + 2, n)
    else:
        start = max(int(np.searchsorted(x, lo_x, side="right")) - 2, 0)
        stop = min(int(np.searchsorted(x, hi_x, side="left")) + 2, n)
    if stop <= start:
        start, stop = max(min(start, n - 1), 0), min(max(start, 0) + 1, n)
    ys = y[start:stop]
    xs = np.arange(start, stop, dtype=np.float64) if x is None else x[start:stop]
    if ys.shape[0] <= 2 * buckets:
        return np.asarray(xs, dtype=np.float64), ys.astype(np.float64), True
    edges = np.linspace(float(xs[0]), float(xs[-1]), buckets + 1)[:-1]
    starts = np.unique(np.searchsorted(xs, edges, side="left"))
    lows = np.minimum.reduceat(ys, starts).astype(np.float64)
    highs = np.maximum.reduceat(ys, starts).astype(np.float64)
    out_x = np.repeat(np.asarray(xs[starts], dtype=np.float64), 2)
    out_y = np.empty(2 * starts.shape[0])
    out_y[0::2], out_y[1::2] = lows, highs
    return out_x, out_y, False
