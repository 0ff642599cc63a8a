"""The large digits model, ``resources/models/digits_mlp_large.bin`` (docs/ml.md): an
MLP 64 -> 128 -> 128 -> 10 run by the same ``digits_mlp`` guest as the small one.

It exists for long runs: one inference is about 2.4 M cycles, proved in several
segments. These tests execute it (no proving): the guest agrees with the NumPy
reference, the blob is the one ``training.json`` records, and qemu-riscv32 agrees with
the zkwb executor.
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from engine.ml.blob import KIND_MLP, MlpModel, decode_model
from engine.ml.claim import decode_journal
from engine.ml.dataset import models_dir
from engine.ml.interface import image_bytes, read_model
from engine.ml.reference import predict
from engine.runtime.resources import guest_path
from engine.vm import execute, load_elf
from tests.vm.qemu import run_qemu

NAME = "digits_mlp_large"
SAMPLE = 24            # test images run through the guest, spread over the test split
SEGMENT_ROWS = 1 << 18  # zkwb prove's default segment height


@pytest.fixture(scope="module")
def large():
    """(blob, model) of the large model."""
    return read_model(os.path.join(models_dir(), f"{NAME}.bin"))


@pytest.fixture(scope="module")
def entry():
    with open(os.path.join(models_dir(), "training.json")) as f:
        return json.load(f)["models"][NAME]


@pytest.fixture(scope="module")
def program():
    return load_elf(guest_path("digits_mlp"))


def sample(digits) -> np.ndarray:
    """SAMPLE indices of held-out images, evenly spread over the test split."""
    picks = np.linspace(0, len(digits.test_index) - 1, SAMPLE).round().astype(int)
    return digits.test_index[picks]


def test_blob_is_the_model_training_json_records(large, entry):
    blob, model = large
    assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
    assert len(blob) == entry["blob_bytes"]
    assert isinstance(decode_model(blob, KIND_MLP), MlpModel)
    assert [(layer.inputs, layer.outputs) for layer in model.layers] == \
        [(64, 128), (128, 128), (128, 10)]
    assert entry["architecture"] == "64 -> 128 -> 128 -> 10"
    assert entry["guest_program"] == "resources/guests/digits_mlp.elf"
    assert [{"multiplier": layer.multiplier, "shift": layer.shift}
            for layer in model.layers[:-1]] == entry["hidden_requantization"]


def test_recorded_accuracies_are_the_reference_accuracies(large, entry, digits):
    _, model = large
    classes, _ = predict(model, digits.images)
    test = np.zeros(len(digits.labels), bool)
    test[digits.test_index] = True
    assert entry["reference_accuracy"] == {
        "all": round(float(np.mean(classes == digits.labels)), 4),
        "train": round(float(np.mean(classes[~test] == digits.labels[~test])), 4),
        "test": round(float(np.mean(classes[test] == digits.labels[test])), 4)}
    assert entry["guest"]["agrees_with_reference"] is True
    assert entry["guest"]["accuracy"] == entry["reference_accuracy"]
    assert entry["reference_accuracy"]["test"] >= 0.95


def test_guest_agrees_with_the_reference_on_test_images(large, entry, program, digits):
    blob, model = large
    indices = sample(digits)
    expected_classes, expected_scores = predict(model, digits.images[indices])
    digest = hashlib.sha256(blob).digest()
    cycles = entry["guest"]["cycles"]
    for i, index in enumerate(indices):
        image = digits.images[index]
        result = execute(program, blob + image_bytes(image))
        assert result.exit_code == 0, result.log
        claim = decode_journal(result.journal)
        assert claim.model_digest == digest
        assert claim.image.reshape(-1).tobytes() == image.tobytes()
        assert claim.predicted_class == expected_classes[i], f"image {index}"
        assert claim.scores == tuple(expected_scores[i].tolist()), f"image {index}"
        # The record's cycle counts (over every image) are the guest's.
        assert cycles["min"] <= result.cycles <= cycles["max"], f"image {index}"


def test_an_inference_takes_several_segments(entry):
    """The point of the large model: one inference is a multi-segment proof with the
    default segments, far beyond the small model's single 2^18 trace."""
    cycles = entry["guest"]["cycles"]
    assert 2_000_000 <= cycles["min"] <= cycles["max"] <= 3_000_000
    assert cycles["min"] > 8 * SEGMENT_ROWS


def test_guest_behaves_the_same_under_qemu(large, program, digits):
    """qemu-riscv32 is the reference machine: same journal, exit code and log."""
    blob, _ = large
    data = blob + image_bytes(digits.images[digits.test_index[0]])
    ours = execute(program, data)
    theirs = run_qemu(guest_path("digits_mlp"), data)
    assert ours.exit_code == 0, ours.log
    assert (theirs.exit_code, theirs.stdout, theirs.stderr) == \
        (ours.exit_code, ours.journal, ours.log)
