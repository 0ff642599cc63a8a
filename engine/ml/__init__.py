"""Verifiable private inference on 8x8 digits (docs/ml.md).

The model blob format (``blob``), the guests' input and journal (``interface``,
``claim``), a NumPy reference of their integer arithmetic (``reference``) and image
loading (``image``, ``png``) and the bundled data set (``dataset``). Nothing here needs scikit-learn; training lives in
``tools/train_digits.py``.
"""
from engine.ml.blob import (
    DenseLayer,
    ForestModel,
    MlpModel,
    Model,
    Tree,
    decode_model,
    encode_model,
)
from engine.ml.claim import MlClaim, decode_journal, render_ascii
from engine.ml.dataset import Digits, load_digits
from engine.ml.image import image_from_bytes, load_image
from engine.ml.interface import commitment, image_bytes, private_input, read_model
from engine.ml.reference import predict, scores

__all__ = ["DenseLayer", "Digits", "ForestModel", "MlClaim", "MlpModel", "Model", "Tree",
           "commitment", "decode_journal", "decode_model", "encode_model", "image_bytes",
           "image_from_bytes", "load_digits", "load_image", "predict", "private_input",
           "read_model", "render_ascii", "scores"]
