"""The private digit classification example: canvas, data set, Execute, verified claim."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox

import engine
from engine.codec import DecodeError
from engine.ml import decode_journal, image_bytes, load_digits, predict, read_model
from engine.runtime.resources import guest_path
from tests.workbench.helpers import execute_and_wait
from workbench.views.ml_example import TAB_TITLE, model_path


def _tab_titles(window) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def test_the_example_is_in_the_examples_menu_and_shows_its_tab(window):
    assert TAB_TITLE not in _tab_titles(window)
    window.actions.ml_example.trigger()
    assert window.program.name.startswith("digits_mlp")
    assert window.tabs.currentWidget() is window.ml_example.panel
    assert TAB_TITLE in _tab_titles(window)
    # The journal publishes the digit: its box must not call it private.
    title = window.ml_example.panel.findChild(QGroupBox, "mlDigitBox").title()
    assert "private" not in title.lower() and "journal" in title


def test_a_data_set_digit_executes_to_the_reference_prediction(window, qtbot):
    assert window.open_ml_example()
    panel = window.ml_example.panel
    digits = load_digits()
    index = 42
    panel.index.setValue(index)
    panel.use_button.click()
    assert np.array_equal(panel.canvas.image().reshape(-1), digits.images[index])
    assert panel.label.text() == f"label {digits.labels[index]}"
    blob, model = read_model(model_path())
    assert window.private_input() == blob + bytes(digits.images[index])

    result = execute_and_wait(qtbot, window, timeout_ms=120_000)
    assert result["exit_code"] == 0
    classes, scores = predict(model, digits.images[index:index + 1])
    expected = int(classes[0])
    assert panel.prediction.text() == f"Prediction: {expected}"
    view = panel.claim_view
    assert view.predicted.text() == str(expected)
    assert view.scores() == [int(s) for s in scores[0]]
    assert view.digest.text().replace(" ", "") == engine.ml.commitment(blob).hex()
    assert np.array_equal(view.image.image().reshape(-1), digits.images[index])
    assert "not proven" in view.status.text()


def test_drawing_on_the_canvas_sets_the_private_input(window, qtbot):
    window.open_ml_example()
    panel = window.ml_example.panel
    blob, _ = read_model(model_path())
    panel.clear_button.click()
    assert window.private_input() == blob + bytes(64)
    drawn = np.zeros((8, 8), dtype=np.uint8)
    drawn[1:7, 3] = 16
    drawn[1, 2] = 9
    panel.canvas.set_image(drawn)
    assert window.private_input() == blob + image_bytes(drawn)
    # Mouse: left-click inks a cell fully, right-click erases it.
    qtbot.mouseClick(panel.canvas, Qt.LeftButton, pos=panel.canvas.cell_center(0, 0))
    assert panel.canvas.image()[0, 0] == 16
    assert window.private_input()[len(blob)] == 16
    qtbot.mouseClick(panel.canvas, Qt.RightButton, pos=panel.canvas.cell_center(1, 3))
    assert panel.canvas.image()[1, 3] == 0
    assert window.private_input()[len(blob) + 11] == 0
    with pytest.raises(DecodeError):
        panel.canvas.set_image(np.full((8, 8), 17))


def test_another_program_leaves_its_input_alone(window):
    window.open_ml_example()
    window.open_sample("hello")
    window.ml_example.panel.canvas.clear()
    assert window.private_input() == b"Hello, ZK Workbench!"


def test_a_journal_from_another_guest_shows_no_claim(window, qtbot):
    result = execute_and_wait(qtbot, window)      # the hello sample
    assert result["journal"] == b"Hello, ZK Workbench!"
    assert window.ml_example.panel is None


@pytest.mark.slow
def test_a_verified_receipt_renders_its_claim(window, qtbot, tmp_path):
    digits = load_digits()
    blob, model = read_model(model_path())
    image = digits.images[7]
    program = engine.load_elf(guest_path("digits_mlp"))
    proved = engine.prove(program, blob + bytes(image))
    path = tmp_path / "seven.zkr"
    engine.write_receipt(path, proved.receipt)
    claim = decode_journal(proved.receipt.journal)

    with qtbot.waitSignal(window.verifyFinished, timeout=600_000) as blocker:
        assert window.verify_file(str(path))
    assert blocker.args[0] is True
    panel = window.ml_example.panel
    assert panel is not None and window.tabs.currentWidget() is panel
    view = panel.claim_view
    assert view.status.text().startswith("Verified: seven.zkr")
    classes, scores = predict(model, image[None, :])
    assert view.predicted.text() == str(int(classes[0])) == str(claim.predicted_class)
    assert view.scores() == [int(s) for s in scores[0]]
    assert view.digest.text().replace(" ", "") == engine.ml.commitment(blob).hex()
    assert np.array_equal(view.image.image().reshape(-1), image)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_empty_score_chart_has_the_themes_background(window, name):
    from workbench.views import theme
    before = window.settings.theme()
    window.set_theme(name)
    try:
        window.open_ml_example()
        plot = window.ml_example.panel.claim_view.plot
        assert window.ml_example.panel.claim_view.scores() == []     # no claim yet
        want = theme.plot_colors()["background"]
        assert plot.backgroundBrush().color().name() == want
    finally:
        window.set_theme(before)
