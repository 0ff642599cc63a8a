"""The digits data set bundled with the models (``resources/models/digits.npz``).

scikit-learn's copy of the UCI handwritten digits, saved by ``tools/train_digits.py``
so that tests and the workbench need no scikit-learn: 1,797 images of 8x8 pixels
(0..16), their labels, and the indices of the held-out test split.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from engine.runtime.resources import resources_dir


@dataclass(frozen=True)
class Digits:
    """``images``: uint8 (n, 64); ``labels``: uint8 (n,); ``test_index``: int64, sorted."""
    images: np.ndarray
    labels: np.ndarray
    test_index: np.ndarray


def models_dir() -> str:
    """``resources/models``: the bundled model blobs, the data set and the training record."""
    return os.path.join(resources_dir(), "models")


def load_digits() -> Digits:
    """The bundled data set (read with ``allow_pickle=False``)."""
    with np.load(os.path.join(models_dir(), "digits.npz"), allow_pickle=False) as npz:
        return Digits(npz["images"].astype(np.uint8), npz["labels"].astype(np.uint8),
                      npz["test_index"].astype(np.int64))
