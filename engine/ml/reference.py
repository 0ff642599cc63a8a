"""NumPy reference of the guests' integer arithmetic (docs/ml.md, "Arithmetic").

The guests and these functions must agree bit for bit on every image: the tests run
both over the whole digits data set. Everything is exact integer arithmetic in int64
(the format's caps keep every intermediate below 2^56), so there is no rounding
freedom to disagree about.
"""
from __future__ import annotations

import numpy as np

from engine.codec import DecodeError
from engine.ml.blob import HIDDEN_MAX, INPUT_SIZE, LEAF, ForestModel, MlpModel, Model
from engine.ml.interface import PIXEL_MAX


def scores(model: Model, images: np.ndarray) -> np.ndarray:
    """Class scores of each image: int32, shape (n, class_count).

    ``images``: integers 0..16, shape (n, 64) or (64,) for one image (then the result
    has shape (class_count,)). Raises ``DecodeError`` for pixels out of range, as the
    guests refuse them.
    """
    pixels = np.asarray(images)
    single = pixels.ndim == 1
    pixels = _check_images(pixels.reshape(-1, INPUT_SIZE) if single else pixels)
    if isinstance(model, MlpModel):
        out = _mlp_scores(model, pixels)
    elif isinstance(model, ForestModel):
        out = _forest_scores(model, pixels)
    else:
        raise TypeError(f"not a model: {type(model).__name__}")
    return out[0] if single else out


def predict(model: Model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, scores)``: the predicted class of each image (uint8, the first
    class with the highest score, as the guests pick it) and ``scores(model, images)``."""
    s = scores(model, images)
    return np.argmax(s, axis=-1).astype(np.uint8), s


def requantize(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """A hidden layer's output: ``clamp((acc * multiplier + 2^(shift-1)) >> shift, 0,
    127)`` with an arithmetic (flooring) shift, i.e. ``acc * multiplier / 2^shift``
    rounded half up, then ReLU and saturation. int64 in, int64 out."""
    y = (acc.astype(np.int64) * multiplier + (1 << (shift - 1))) >> shift
    return np.clip(y, 0, HIDDEN_MAX)


def _check_images(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim != 2 or pixels.shape[1] != INPUT_SIZE:
        raise DecodeError(f"images must have shape (n, {INPUT_SIZE}), not {pixels.shape}")
    if not np.issubdtype(pixels.dtype, np.integer):
        raise DecodeError(f"pixels must be integers, not {pixels.dtype}")
    if pixels.size and (pixels.min() < 0 or pixels.max() > PIXEL_MAX):
        raise DecodeError(f"pixels must be 0..{PIXEL_MAX}")
    return pixels.astype(np.int64)


def _mlp_scores(model: MlpModel, pixels: np.ndarray) -> np.ndarray:
    x = pixels
    for layer in model.layers:
        acc = x @ layer.weights.astype(np.int64).T + layer.biases.astype(np.int64)
        x = requantize(acc, layer.multiplier, layer.shift) if layer.multiplier else acc
    return x.astype(np.int32)


def _forest_scores(model: ForestModel, pixels: np.ndarray) -> np.ndarray:
    n = pixels.shape[0]
    votes = np.zeros((n, model.class_count), dtype=np.int32)
    rows = np.arange(n)
    for tree in model.trees:
        node = np.zeros(n, dtype=np.int64)
        # Each step moves every unfinished image at least one node further, so a tree
        # of N nodes takes at most N steps.
        for _ in range(tree.node_count):
            feature = tree.feature[node]
            active = feature != LEAF
            if not active.any():
                break
            f = np.where(active, feature, 0)
            go_left = pixels[rows, f] <= tree.value[node]
            step = np.where(go_left, node + 1, tree.right[node].astype(np.int64))
            node = np.where(active, step, node)
        np.add.at(votes, (rows, tree.value[node].astype(np.int64)), 1)
    return votes
