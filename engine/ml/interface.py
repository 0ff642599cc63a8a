"""What the digit guests read and write (docs/ml.md, "The interface").

Private input: the model blob followed by one 8x8 image (64 bytes, pixels 0..16,
row-major). Journal: SHA-256 of the blob (the model commitment, 32 bytes) | the 64
image bytes | the predicted class (1 byte) | the class scores (10 x int32, LE).
"""
from __future__ import annotations

import hashlib
import os

import numpy as np

from engine.codec import DecodeError
from engine.fileio import read_bounded
from engine.ml.blob import CLASS_COUNT, INPUT_SIZE, MAX_MODEL_BYTES, Model, decode_model

IMAGE_BYTES = INPUT_SIZE
IMAGE_SIDE = 8
PIXEL_MAX = 16
DIGEST_BYTES = 32
JOURNAL_BYTES = DIGEST_BYTES + IMAGE_BYTES + 1 + 4 * CLASS_COUNT  # 137

# Exit codes of the guests (as the sample guests: 2 for input they refuse).
EXIT_OK = 0
EXIT_MALFORMED = 2


def commitment(blob: bytes) -> bytes:
    """The model's public commitment: SHA-256 of its blob (32 bytes)."""
    return hashlib.sha256(blob).digest()


def private_input(blob: bytes, image: np.ndarray) -> bytes:
    """The guests' private input: ``blob`` followed by the 64 image bytes.

    ``blob`` is validated with ``decode_model`` and ``image`` must hold 64 integers
    in 0..16 (any shape, row-major), so that a guest given this input accepts it.
    Raises ``DecodeError`` otherwise.
    """
    decode_model(blob)
    return bytes(blob) + image_bytes(image)


def image_bytes(image: np.ndarray) -> bytes:
    """The 64 bytes of an image (integers 0..16, 64 of them, any shape, row-major).
    Raises ``DecodeError`` for anything else."""
    pixels = np.asarray(image)
    if pixels.size != IMAGE_BYTES:
        raise DecodeError(f"an image has {IMAGE_BYTES} pixels, not {pixels.size}")
    if not np.issubdtype(pixels.dtype, np.integer):
        raise DecodeError(f"pixels must be integers, not {pixels.dtype}")
    if pixels.min() < 0 or pixels.max() > PIXEL_MAX:
        raise DecodeError(f"pixels must be 0..{PIXEL_MAX} (found {pixels.min()}..{pixels.max()})")
    return pixels.astype(np.uint8).reshape(-1).tobytes()


def read_model(path: str | os.PathLike) -> tuple[bytes, Model]:
    """The blob in the file at ``path`` and the model it decodes to.

    Raises ``InputError`` if the file cannot be read or is larger than any blob, and
    ``DecodeError`` if it is not a valid model blob.
    """
    blob = read_bounded(path, MAX_MODEL_BYTES, "model blob")
    try:
        return blob, decode_model(blob)
    except DecodeError as e:
        raise DecodeError(f"{os.fspath(path)}: {e}") from None
