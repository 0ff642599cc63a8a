#!/usr/bin/env python3
"""Train the digit models the machine-learning guests run (docs/ml.md).

    .venv/bin/pip install -e '.[dev]'                # scikit-learn: for this script only
    .venv/bin/python tools/train_digits.py           # rewrites resources/models/
    .venv/bin/python tools/train_digits.py --large   # adds digits_mlp_large.bin

Trains on scikit-learn's bundled digits data set (1,797 8x8 images, pixels 0..16),
split 75/25 (stratified, seed 7):

- an MLP 64 -> 24 (ReLU) -> 10, quantized after training to int8 weights, int32
  biases and one fixed-point requantization (multiplier, shift) for the hidden layer;
- a random forest of 16 trees with at most 40 leaves each, hard-voting.

Writes ``digits_mlp.bin`` and ``digits_forest.bin`` (the blob format of
``engine/ml/blob.py``), ``digits.npz`` (the data set and the test split, so tests
need no scikit-learn) and ``training.json`` (the record: split, seed, versions,
accuracies of the float model, the quantized reference and the guest in the zkwb
executor, cycle counts).

``--large`` trains only the larger MLP 64 -> 128 -> 128 -> 10 (two ReLU hidden
layers, quantized the same way, run by the same ``digits_mlp`` guest), writes
``digits_mlp_large.bin`` and adds its entry ``digits_mlp_large`` to the existing
``training.json``; nothing else changes. A run without ``--large`` keeps that entry
(it trains everything else exactly as before), so either run leaves the other files
byte for byte as they were.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from engine.ml.blob import (
    HIDDEN_MAX,
    LEAF,
    MAX_MULTIPLIER,
    MAX_SHIFT,
    DenseLayer,
    ForestModel,
    MlpModel,
    Tree,
    encode_model,
)
from engine.ml.interface import PIXEL_MAX
from engine.ml.reference import predict

SEED = 7
TEST_FRACTION = 0.25
HIDDEN = 24
LARGE_HIDDEN = (128, 128)
LARGE_NAME = "digits_mlp_large"
TREES = 16
MAX_LEAVES = 40
MODELS_DIR = os.path.join(ROOT, "resources", "models")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=MODELS_DIR, help="output folder (default: resources/models)")
    parser.add_argument("--no-guest", action="store_true",
                        help="skip running the guests in the executor (no guest accuracy, no cycles)")
    parser.add_argument("--large", action="store_true",
                        help="train only the MLP 64 -> "
                             f"{' -> '.join(map(str, LARGE_HIDDEN))} -> 10 "
                             f"({LARGE_NAME}.bin) and add it to the folder's training.json, "
                             "which must exist; nothing else is rewritten")
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.data.astype(np.uint8)              # (1797, 64), 0..16
    labels = digits.target.astype(np.uint8)
    index = np.arange(len(labels))
    train_index, test_index = train_test_split(index, test_size=TEST_FRACTION,
                                               random_state=SEED, stratify=labels)
    train_index, test_index = np.sort(train_index), np.sort(test_index)
    split = {"method": "sklearn.model_selection.train_test_split, stratified by label",
             "test_fraction": TEST_FRACTION, "seed": SEED,
             "train": len(train_index), "test": len(test_index)}
    versions = {"python": sys.version.split()[0], "numpy": np.__version__,
                "scikit-learn": sklearn.__version__}
    previous = _read_record(args.out)

    if args.large:
        if previous is None or previous.get("split") != split:
            raise SystemExit(f"--large adds to the training.json of {args.out}, which must exist "
                             "and record the same split: run the script without --large first")
        mlp_float, mlp = train_mlp(images[train_index], labels[train_index], LARGE_HIDDEN)
        entry = _model_entry(args.out, LARGE_NAME, "digits_mlp", mlp_float, mlp, _describe_mlp,
                             images / PIXEL_MAX, images, labels, test_index, not args.no_guest)
        entry = {**entry, "guest_program": "resources/guests/digits_mlp.elf",
                 "versions": versions}
        previous["models"][LARGE_NAME] = entry
        _write(os.path.join(args.out, "training.json"),
               (json.dumps(previous, indent=2) + "\n").encode())
        return 0

    mlp_float, mlp = train_mlp(images[train_index], labels[train_index])
    forest_float, forest = train_forest(images[train_index], labels[train_index])

    os.makedirs(args.out, exist_ok=True)
    record = {
        "data_set": "scikit-learn load_digits (UCI optical recognition of handwritten digits)",
        "images": len(labels),
        "split": split,
        "versions": versions,
        "models": {},
    }
    for name, float_model, model, describe, float_inputs in (
            ("digits_mlp", mlp_float, mlp, _describe_mlp, images / PIXEL_MAX),
            ("digits_forest", forest_float, forest, _describe_forest, images)):
        record["models"][name] = _model_entry(args.out, name, name, float_model, model, describe,
                                              float_inputs, images, labels, test_index,
                                              not args.no_guest)
    # Keep the entries of the models only --large trains (their blobs are untouched),
    # as long as they were trained on the same split.
    for name, entry in (previous or {}).get("models", {}).items():
        if name not in record["models"] and previous.get("split") == split:
            record["models"][name] = entry

    np.savez_compressed(os.path.join(args.out, "digits.npz"), images=images, labels=labels,
                        test_index=test_index.astype(np.uint16))
    _write(os.path.join(args.out, "training.json"),
           (json.dumps(record, indent=2) + "\n").encode())
    return 0


def _model_entry(out: str, name: str, guest: str, float_model, model, describe,
                 float_inputs: np.ndarray, images: np.ndarray, labels: np.ndarray,
                 test_index: np.ndarray, run_guest: bool) -> dict:
    """Writes ``name.bin`` into the folder ``out`` and returns the model's record: its
    description, blob size and digest, accuracies of the float model, of the quantized
    reference and (``run_guest``) of the guest ``guest`` in the executor, with cycles."""
    blob = encode_model(model)
    _write(os.path.join(out, f"{name}.bin"), blob)
    classes, _ = predict(model, images)
    float_classes = float_model.predict(float_inputs).astype(np.uint8)
    entry = {
        **describe(float_model, model),
        "blob_bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "float_accuracy": _accuracies(float_classes, labels, test_index),
        "reference_accuracy": _accuracies(classes, labels, test_index),
    }
    if run_guest:
        entry["guest"] = _run_guest(guest, blob, images, labels, test_index, classes)
    print(f"{name}: {len(blob)} bytes, accuracy {entry['reference_accuracy']}", file=sys.stderr)
    return entry


# -- the MLP


def train_mlp(images: np.ndarray, labels: np.ndarray, hidden: tuple[int, ...] = (HIDDEN,)):
    """Trains a float MLP with hidden layers of ``hidden`` ReLU units on pixels / 16 and
    quantizes it; returns (float, MlpModel)."""
    from sklearn.neural_network import MLPClassifier
    net = MLPClassifier(hidden_layer_sizes=hidden, alpha=1e-3, max_iter=2000,
                        random_state=SEED).fit(images / PIXEL_MAX, labels)
    return net, quantize_mlp(net.coefs_, net.intercepts_, images)


def quantize_mlp(weights: list[np.ndarray], biases: list[np.ndarray],
                 calibration: np.ndarray) -> MlpModel:
    """Post-training quantization, symmetric and per tensor.

    A layer with float weights W (inputs x outputs) gets ``Wq = round(W / s_w)``
    with ``s_w = max|W| / 127``; its accumulator then has scale ``s_acc = s_w * s_x``,
    so the bias is ``round(b / s_acc)``. A hidden layer's output scale ``s_y`` makes
    the largest activation on the calibration images 127; the requantization factor
    ``s_acc / s_y`` becomes ``multiplier / 2^shift`` with a 31-bit multiplier.
    Inputs are the raw pixels 0..16 (``s_x = 1/16``, as the float model saw them).
    """
    layers = []
    x_scale = 1.0 / PIXEL_MAX
    x = calibration.astype(np.int64)
    for i, (w, b) in enumerate(zip(weights, biases)):
        w_scale = float(np.abs(w).max()) / 127
        wq = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8).T   # (outputs, inputs)
        acc_scale = w_scale * x_scale
        bq = np.round(b / acc_scale).astype(np.int32)
        if i == len(weights) - 1:
            layers.append(DenseLayer(wq, bq))
            break
        acc = x @ wq.astype(np.int64).T + bq
        y_scale = float(acc.max()) * acc_scale / HIDDEN_MAX
        multiplier, shift = fixed_point(acc_scale / y_scale)
        layer = DenseLayer(wq, bq, multiplier, shift)
        layers.append(layer)
        x = np.clip((acc * multiplier + (1 << (shift - 1))) >> shift, 0, HIDDEN_MAX)
        x_scale = y_scale
    return MlpModel(tuple(layers))


def fixed_point(factor: float) -> tuple[int, int]:
    """``(multiplier, shift)`` with ``multiplier / 2^shift`` closest to ``factor`` and a
    multiplier of 31 bits at most (as many significant bits as the format allows)."""
    shift = 0
    while factor * 2 ** (shift + 1) <= MAX_MULTIPLIER and shift < MAX_SHIFT:
        shift += 1
    return round(factor * 2 ** shift), shift


def _describe_mlp(net, model: MlpModel) -> dict:
    return {"kind": "mlp",
            "architecture": " -> ".join([str(model.layers[0].inputs)] +
                                        [str(layer.outputs) for layer in model.layers]),
            "training": "sklearn MLPClassifier(hidden_layer_sizes="
                        f"{tuple(net.hidden_layer_sizes)}, alpha=1e-3, "
                        f"adam, max_iter=2000, random_state={SEED}) on pixels / 16; "
                        f"{net.n_iter_} epochs",
            "quantization": "post-training, symmetric per-tensor int8 weights, int32 biases, "
                            + ("hidden layer requantized" if len(model.layers) == 2 else
                               "each hidden layer requantized")
                            + " to 0..127 (max over the training images)",
            "hidden_requantization": [{"multiplier": layer.multiplier, "shift": layer.shift}
                                      for layer in model.layers[:-1]]}


# -- the forest


def train_forest(images: np.ndarray, labels: np.ndarray):
    """Trains a random forest on the raw pixels; returns (float, ForestModel)."""
    from sklearn.ensemble import RandomForestClassifier
    forest = RandomForestClassifier(n_estimators=TREES, max_leaf_nodes=MAX_LEAVES,
                                    random_state=SEED).fit(images, labels)
    return forest, ForestModel(tuple(convert_tree(e.tree_, forest.classes_) for e in forest.estimators_))


def convert_tree(tree, classes: np.ndarray) -> Tree:
    """A scikit-learn tree in the blob's layout: preorder, left child next.

    A split ``x <= t`` on pixels (integers) is ``x <= floor(t)``; a leaf votes for its
    majority class (the first one on a tie, as ``argmax`` picks).
    """
    feature, value, right = [], [], []

    def visit(node: int) -> None:
        me = len(feature)
        feature.append(0)
        value.append(0)
        right.append(0)
        left_child, right_child = tree.children_left[node], tree.children_right[node]
        if left_child == -1:
            feature[me] = LEAF
            value[me] = int(classes[int(np.argmax(tree.value[node][0]))])
            return
        feature[me] = int(tree.feature[node])
        value[me] = int(np.clip(np.floor(tree.threshold[node]), 0, 255))
        visit(left_child)
        right[me] = len(feature)
        visit(right_child)

    visit(0)
    return Tree(np.array(feature, np.uint8), np.array(value, np.uint8), np.array(right, np.uint16))


def _describe_forest(forest, model: ForestModel) -> dict:
    return {"kind": "forest",
            "trees": len(model.trees),
            "nodes": int(sum(t.node_count for t in model.trees)),
            "max_depth": int(max(e.tree_.max_depth for e in forest.estimators_)),
            "training": f"sklearn RandomForestClassifier(n_estimators={TREES}, "
                        f"max_leaf_nodes={MAX_LEAVES}, random_state={SEED}) on raw pixels",
            "voting": "each tree votes for its leaf's majority class; scores are vote counts "
                      "(scikit-learn's own predict averages leaf probabilities instead)"}


# -- records


def _accuracies(predicted: np.ndarray, labels: np.ndarray, test_index: np.ndarray) -> dict:
    test = np.zeros(len(labels), bool)
    test[test_index] = True
    return {"all": round(float(np.mean(predicted == labels)), 4),
            "train": round(float(np.mean(predicted[~test] == labels[~test])), 4),
            "test": round(float(np.mean(predicted[test] == labels[test])), 4)}


def _read_record(folder: str) -> dict | None:
    """The folder's training.json, or None if it has none."""
    try:
        with open(os.path.join(folder, "training.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _run_guest(name: str, blob: bytes, images: np.ndarray, labels: np.ndarray,
               test_index: np.ndarray, reference: np.ndarray) -> dict:
    """Runs the guest on every image in the zkwb executor."""
    from engine.ml.claim import decode_journal
    from engine.ml.interface import image_bytes
    from engine.vm import execute, load_elf
    program = load_elf(os.path.join(ROOT, "resources", "guests", f"{name}.elf"))
    predicted = np.zeros(len(labels), np.uint8)
    cycles = np.zeros(len(labels), np.int64)
    for i, image in enumerate(images):
        result = execute(program, blob + image_bytes(image))
        if result.exit_code != 0:
            raise SystemExit(f"{name} exited with {result.exit_code} on image {i}: {result.log!r}")
        predicted[i] = decode_journal(result.journal).predicted_class
        cycles[i] = result.cycles
    if not np.array_equal(predicted, reference):
        raise SystemExit(f"{name}: the guest disagrees with the NumPy reference on "
                         f"{int(np.sum(predicted != reference))} images")
    return {"accuracy": _accuracies(predicted, labels, test_index),
            "agrees_with_reference": True,
            "cycles": {"min": int(cycles.min()), "median": int(np.median(cycles)),
                       "max": int(cycles.max())}}


def _write(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
