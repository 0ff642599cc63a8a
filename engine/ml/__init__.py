"""Verifiable private inference on 8x8 digits (docs/ml.md).

The model blob format (``blob``), the guests' input and journal (``interface``,
``claim``), a NumPy reference of their integer arithmetic (``reference``) and image
loading (``image``). Nothing here needs scikit-learn; training lives in
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
from engine.ml.interface import commitment, image_bytes, private_input
from engine.ml.reference import predict, scores

__all__ = ["DenseLayer", "ForestModel", "MlClaim", "MlpModel", "Model", "Tree", "commitment",
           "decode_journal", "decode_model", "encode_model", "image_bytes", "predict",
           "private_input", "render_ascii", "scores"]
