"""The NumPy reference against a slow, obviously correct pure-Python twin, and the
bundled models' accuracy and training record."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from engine.codec import DecodeError
from engine.ml.blob import LEAF, ForestModel, MlpModel
from engine.ml.dataset import models_dir
from engine.ml.reference import predict, requantize, scores
from tests.ml.random_models import random_forest, random_images, random_mlp


def slow_scores(model, image) -> list[int]:
    """One image, Python integers only, straight from the format's definition."""
    if isinstance(model, MlpModel):
        x = [int(p) for p in image]
        for layer in model.layers:
            acc = [int(layer.biases[o]) + sum(int(layer.weights[o][i]) * x[i] for i in range(len(x)))
                   for o in range(layer.outputs)]
            if layer.multiplier:
                # round half up of acc * m / 2^s, then ReLU and saturation at 127
                x = [min(max((a * layer.multiplier + 2 ** (layer.shift - 1)) // 2 ** layer.shift, 0), 127)
                     for a in acc]
            else:
                x = acc
        return x
    votes = [0] * 10
    for tree in model.trees:
        node = 0
        while tree.feature[node] != LEAF:
            go_left = int(image[tree.feature[node]]) <= int(tree.value[node])
            node = node + 1 if go_left else int(tree.right[node])
        votes[int(tree.value[node])] += 1
    return votes


@pytest.mark.parametrize("seed", range(10))
def test_reference_matches_the_slow_twin_on_random_models(seed):
    rng = np.random.default_rng(seed)
    for model in (random_mlp(rng), random_forest(rng)):
        images = random_images(rng, 5)
        fast = scores(model, images)
        assert fast.dtype == np.int32 and fast.shape == (5, 10)
        for image, row in zip(images, fast):
            assert row.tolist() == slow_scores(model, image)


@pytest.mark.parametrize("kind", ["mlp", "forest"])
def test_reference_matches_the_slow_twin_on_the_bundled_models(models, digits, kind):
    model = models[kind][1]
    chosen = digits.images[::60]
    for image, row in zip(chosen, scores(model, chosen)):
        assert row.tolist() == slow_scores(model, image)


def test_requantize_rounds_half_up_and_saturates():
    acc = np.array([-3, -2, -1, 0, 1, 2, 3, 1000])
    assert requantize(acc, 1, 1).tolist() == [0, 0, 0, 0, 1, 1, 2, 127]
    assert requantize(np.array([5, 6, 7]), 3, 2).tolist() == [4, 5, 5]   # 3.75, 4.5, 5.25


def test_predict_picks_the_first_of_equal_scores():
    model = random_forest(np.random.default_rng(0))
    classes, s = predict(model, np.zeros((1, 64), np.uint8))
    assert classes[0] == int(np.flatnonzero(s[0] == s[0].max())[0])


def test_single_image_gives_one_row():
    model = random_mlp(np.random.default_rng(1))
    image = np.arange(64, dtype=np.uint8) % 17
    assert scores(model, image).shape == (10,)
    assert scores(model, image).tolist() == scores(model, image[None, :])[0].tolist()


@pytest.mark.parametrize("bad", [np.full((1, 64), 17), np.full((1, 64), -1), np.zeros((1, 63)),
                                 np.zeros((1, 64), float)])
def test_reference_refuses_what_the_guests_refuse(bad):
    with pytest.raises(DecodeError):
        scores(random_mlp(np.random.default_rng(2)), bad)


def test_training_record_matches_the_bundled_models(models, digits):
    """training.json records the split, seed and accuracies; they must describe the
    committed blobs (retrain with tools/train_digits.py to change them)."""
    import hashlib
    with open(os.path.join(models_dir(), "training.json")) as f:
        record = json.load(f)
    assert record["split"]["seed"] == 7
    assert record["split"]["test"] == len(digits.test_index)
    for kind, name in (("mlp", "digits_mlp"), ("forest", "digits_forest")):
        blob, model = models[kind]
        entry = record["models"][name]
        assert entry["sha256"] == hashlib.sha256(blob).hexdigest()
        classes, _ = predict(model, digits.images)
        test = np.zeros(len(digits.labels), bool)
        test[digits.test_index] = True
        assert entry["reference_accuracy"] == {
            "all": round(float(np.mean(classes == digits.labels)), 4),
            "train": round(float(np.mean(classes[~test] == digits.labels[~test])), 4),
            "test": round(float(np.mean(classes[test] == digits.labels[test])), 4)}
        assert entry["guest"]["accuracy"] == entry["reference_accuracy"]


def test_bundled_models_reach_the_required_accuracy(models, digits):
    for kind, minimum in (("mlp", 0.95), ("forest", 0.90)):
        classes, _ = predict(models[kind][1], digits.images)
        assert np.mean(classes == digits.labels) >= minimum
    assert isinstance(models["forest"][1], ForestModel)
