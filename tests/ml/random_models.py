"""Random models that follow every rule of the blob format, for differential tests.

They are not trained: their point is to reach corners the bundled models never do
(saturating requantization, extreme multipliers and shifts, biases at the ±2^24 cap,
weights of -128, deep or degenerate trees).
"""
from __future__ import annotations

import numpy as np

from engine.ml.blob import (
    CLASS_COUNT,
    INPUT_SIZE,
    LEAF,
    MAX_BIAS,
    MAX_MULTIPLIER,
    MAX_SHIFT,
    DenseLayer,
    ForestModel,
    MlpModel,
    Tree,
)


def random_mlp(rng: np.random.Generator, max_layers: int = 3, max_width: int = 40) -> MlpModel:
    count = int(rng.integers(1, max_layers + 1))
    widths = [INPUT_SIZE] + [int(rng.integers(1, max_width + 1)) for _ in range(count - 1)] + [CLASS_COUNT]
    layers = []
    for i in range(count):
        inputs, outputs = widths[i], widths[i + 1]
        weights = rng.integers(-128, 128, size=(outputs, inputs)).astype(np.int8)
        biases = _pick(rng, [rng.integers(-MAX_BIAS, MAX_BIAS + 1, outputs),
                             rng.integers(-5000, 5000, outputs),
                             rng.choice([-MAX_BIAS, MAX_BIAS], outputs)]).astype(np.int32)
        if i == count - 1:
            layers.append(DenseLayer(weights, biases))
            continue
        # Mostly multipliers that keep outputs in range; sometimes the extremes.
        shift = int(_pick(rng, [rng.integers(28, 40), rng.integers(1, MAX_SHIFT + 1),
                                np.int64(MAX_SHIFT), np.int64(1)]))
        multiplier = int(_pick(rng, [rng.integers(1 << 29, MAX_MULTIPLIER + 1),
                                     rng.integers(1, MAX_MULTIPLIER + 1),
                                     np.int64(MAX_MULTIPLIER), np.int64(1)]))
        layers.append(DenseLayer(weights, biases, multiplier, shift))
    return MlpModel(tuple(layers))


def random_forest(rng: np.random.Generator, max_trees: int = 6, max_depth: int = 9) -> ForestModel:
    return ForestModel(tuple(random_tree(rng, max_depth) for _ in range(int(rng.integers(1, max_trees + 1)))))


def random_tree(rng: np.random.Generator, max_depth: int) -> Tree:
    feature: list[int] = []
    value: list[int] = []
    right: list[int] = []

    def grow(depth: int) -> None:
        me = len(feature)
        feature.append(LEAF)
        value.append(int(rng.integers(0, CLASS_COUNT)))
        right.append(0)
        if depth >= max_depth or rng.random() < 0.25:
            return
        feature[me] = int(rng.integers(0, INPUT_SIZE))
        value[me] = int(rng.integers(0, 17) if rng.random() < 0.9 else rng.integers(17, 256))
        grow(depth + 1)
        right[me] = len(feature)
        grow(depth + 1)

    grow(0)
    return Tree(np.array(feature, np.uint8), np.array(value, np.uint8), np.array(right, np.uint16))


def random_images(rng: np.random.Generator, n: int) -> np.ndarray:
    """uint8 (n, 64): uniform pixels, and all-zero / all-16 images among them."""
    images = rng.integers(0, 17, size=(n, INPUT_SIZE)).astype(np.uint8)
    if n >= 2:
        images[0], images[1] = 0, 16
    return images


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(0, len(options)))]
