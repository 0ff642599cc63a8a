"""Row-padded windows hold exactly the columns' values, wrapping around the domain."""
from __future__ import annotations

import numpy as np
import pytest

from engine.stark.windows import PAD, padded_window, window_buffer


@pytest.mark.parametrize("start,count", [(0, 64), (10, 20), (60, 4), (60, 9), (3, 150)])
def test_a_window_holds_the_points_it_covers_modulo_n(start, count):
    matrix = np.random.default_rng(start).integers(0, 1 << 31, (5, 64), dtype=np.uint32)
    buffer = window_buffer(5, 150)
    window = padded_window(matrix, start, count, buffer)
    assert window.shape == (5, count + PAD) and window.flags.c_contiguous
    expected = matrix[:, (start + np.arange(count)) % 64]
    assert np.array_equal(window[:, :count], expected)


def test_a_window_of_no_columns_is_empty():
    window = padded_window(np.zeros((0, 16), dtype=np.uint32), 3, 8, window_buffer(0, 8))
    assert window.shape == (0, 8 + PAD)
