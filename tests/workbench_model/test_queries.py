"""Where the Queries tab draws each query: position q of the LDE domain is read at
q mod the layer's size in each FRI layer."""
from __future__ import annotations

import numpy as np

from workbench.model.queries import FAILED, PASSED, PENDING, QuerySampling


def _sampling() -> QuerySampling:
    queries = QuerySampling()
    queries.show_fri_layers((256, 64, 16))
    queries.set_positions(np.array([3, 70, 200, 255]), 256)
    return queries


def test_nothing_is_drawn_before_a_domain_is_known():
    queries = QuerySampling()
    assert not queries.drawable and queries.layers() == [] and queries.ticks() == []
    assert queries.folded_x().shape == (0, 0)
    assert [a.size for a in queries.paths()] == [0, 0]
    queries.show_domain(1024)
    assert queries.drawable and queries.layers() == [1024]
    assert queries.describe() == "LDE domain: 1,024 points"


def test_each_query_folds_to_its_position_modulo_each_layer():
    queries = _sampling()
    x = queries.folded_x()
    assert x.shape == (4, 3)
    expected = [[3 / 256, 3 / 64, 3 / 16], [70 / 256, 6 / 64, 6 / 16],
                [200 / 256, 8 / 64, 8 / 16], [255 / 256, 63 / 64, 15 / 16]]
    assert np.allclose(x, expected)
    assert ((x >= 0) & (x < 1)).all()
    assert queries.layer_y().tolist() == [0.0, -1.0, -2.0]
    assert queries.ticks() == [(0, "256"), (-1, "64"), (-2, "16")]


def test_paths_are_one_polyline_per_query_separated_by_nan():
    queries = _sampling()
    paths_x, paths_y = queries.paths()
    assert paths_x.shape == paths_y.shape == (4 * 4,)
    assert np.isnan(paths_x[3::4]).all() and np.isnan(paths_y[3::4]).all()
    assert np.allclose(paths_x[4:7], [70 / 256, 6 / 64, 6 / 16])
    assert paths_y[4:7].tolist() == [0.0, -1.0, -2.0]


def test_marks_go_layer_by_layer_with_each_querys_status():
    queries = _sampling()
    assert queries.mark(0, True) and queries.mark(1, False)
    assert not queries.mark(4, True) and not queries.mark(-1, True)
    marks = queries.marks()
    assert marks.layer.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert marks.y.tolist() == [0.0] * 4 + [-1.0] * 4 + [-2.0] * 4
    assert marks.status.tolist() == [PASSED, FAILED, PENDING, PENDING] * 3
    assert np.allclose(marks.x[4:8], [3 / 64, 6 / 64, 8 / 64, 63 / 64])
    assert queries.describe() == ("LDE domain: 256 points · 2 FRI folds · 4 queries · "
                                  "1 passed, 1 FAILED")


def test_positions_of_another_domain_replace_its_layers_and_reset_the_marks():
    queries = _sampling()
    queries.mark(2, True)
    queries.set_positions([5, 9], 512)
    assert queries.layers() == [512] and queries.domain_size == 512
    assert queries.status.tolist() == [PENDING, PENDING]
    assert queries.describe() == "LDE domain: 512 points · 2 queries"
    queries.set_positions([1], 512)          # the same domain keeps its layers
    queries.show_fri_layers((512, 128))
    queries.set_positions([7], 512)
    assert queries.layers() == [512, 128]
    queries.reset()
    assert not queries.drawable and queries.positions.size == 0
