"""A failed verification explains itself (issue 16, item 4): a plain reason first, the
engine's under it; the commitment or FRI layer that broke marked in the Queries tab
(red, dashed and labelled) and in the Proof tab; no query left looking pending; and
pass, fail and not checked told apart by shape, not colour only.

The receipts are a real proof of ``hello`` with one opened value changed in its seal.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import engine
from engine.stark.proof import decode_proof, encode_proof
from tests.receipt_edits import with_segment
from tests.workbench_model.receipts import proof
from workbench.model.queries import FAILED, NOT_CHECKED, PASSED, PENDING
from workbench.model.verdict import INVALID

COLD_CACHE_MS = 600_000


def _tampered(edit) -> engine.Receipt:
    receipt = proof("hello").receipt
    seal = decode_proof(receipt.segments[0].seal)
    return with_segment(receipt, 0, seal=encode_proof(edit(seal)))


def _flip(values: tuple) -> tuple:
    first = values[0].copy()
    first[0, 0] ^= 1
    return (first,) + tuple(values[1:])


def main_rows_changed(seal):
    """The rows opened from commitment 2 (the trace, "main") changed."""
    openings = list(seal.opening.query_openings)
    openings[2] = dataclasses.replace(openings[2], values=_flip(openings[2].values))
    return dataclasses.replace(seal, opening=dataclasses.replace(
        seal.opening, query_openings=tuple(openings)))


def fri_layer_changed(layer: int):
    def edit(seal):
        fri = seal.opening.fri
        layers = list(fri.layer_openings)
        layers[layer] = dataclasses.replace(layers[layer], values=_flip(layers[layer].values))
        fri = dataclasses.replace(fri, layer_openings=tuple(layers))
        return dataclasses.replace(seal, opening=dataclasses.replace(seal.opening, fri=fri))
    return edit


def _verify(window, qtbot, tmp_path, receipt, name="tampered.zkr"):
    path = tmp_path / name
    engine.write_receipt(str(path), receipt)
    with qtbot.waitSignal(window.verifyFinished, timeout=COLD_CACHE_MS) as blocker:
        assert window.verify_file(str(path))
    return blocker.args


def test_a_broken_trace_opening_is_explained_and_marked_where_it_broke(window, qtbot, tmp_path):
    window.open_sample("hello")
    valid, summary = _verify(window, qtbot, tmp_path, _tampered(main_rows_changed))
    technical = "openings: query rows of commitment 2: Merkle opening does not match the root"
    assert valid is False and summary == f"tampered.zkr: Invalid: {technical}"
    panel = window.verify_panel
    assert panel.state() == INVALID
    # Plain words first, naming what was committed; the engine's words under them.
    assert panel.headline().startswith("✘ Invalid: The proof's answers do not match what it "
                                       "committed to")
    assert "the execution trace" in panel.headline() and "Merkle" in panel.headline()
    assert panel.detail() == f"Technical reason: {technical}"
    # The Queries tab: the LDE domain (where the trace is opened) is marked broken, in
    # words; no query stays pending, and none is blamed (the batch broke).
    queries = window.query_plot.queries
    assert queries.broken_layer == 0
    assert "“main”" in queries.broken_label and "execution trace" in queries.broken_label
    assert queries.positions.size >= 43
    assert not (queries.status == PENDING).any()
    assert (queries.status == NOT_CHECKED).all()
    assert "43 not checked" in window.query_plot.summary()
    assert "broke at commitment “main”" in window.query_plot.summary()
    # The Proof tab marks the commitment's row, in words too.
    row = window.proof_panel.broken_row()
    assert row == 2 and window.proof_panel.commitments[row][0] == "main"


@pytest.mark.parametrize("layer", (0, 1))
def test_a_broken_fri_layer_is_marked_on_its_layer(window, qtbot, tmp_path, layer):
    window.open_sample("hello")
    valid, summary = _verify(window, qtbot, tmp_path, _tampered(fri_layer_changed(layer)))
    assert valid is False and f"FRI layer {layer}: Merkle opening" in summary
    assert window.verify_panel.headline().startswith(
        f"✘ Invalid: The proof's answers in FRI layer {layer} do not match")
    queries = window.query_plot.queries
    assert queries.broken_layer == layer and queries.broken_label == f"✘ FRI layer {layer}"
    assert not (queries.status == PENDING).any()


def test_pass_fail_and_not_checked_differ_in_shape_not_only_colour(window):
    shapes = window.query_plot.mark_shapes()
    assert shapes[PASSED] != shapes[FAILED]
    assert len({shapes[FAILED], shapes[PASSED]}) == 2
    from workbench.views.query_plot import mark_styles
    from workbench.views import theme
    styles = mark_styles(theme.plot_colors())
    # Not checked: hollow (no fill), unlike passed, so it reads without colour too.
    assert styles[NOT_CHECKED]["brush"].color().alpha() == 0
    assert styles[PASSED]["brush"].color().alpha() == 255
    assert np.isfinite(styles[FAILED]["size"]) and styles[FAILED]["size"] > styles[PASSED]["size"]
