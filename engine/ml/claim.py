"""What a digit guest's journal says: ``decode_journal(journal) -> MlClaim``.

The journal is public and proven; decoding it is how a verifier learns which
committed model classified which image as what (``zkwb ml explain``). It is
untrusted input like the rest of a receipt: the length, the pixel range, the class
and its consistency with the scores are all checked, and any mismatch raises
``DecodeError``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from engine.codec import DecodeError, Reader
from engine.ml.blob import CLASS_COUNT
from engine.ml.interface import (
    DIGEST_BYTES,
    IMAGE_BYTES,
    IMAGE_SIDE,
    JOURNAL_BYTES,
    PIXEL_MAX,
)

#: The bundled digit classifiers (``resources/guests``). A journal says what a model
#: classified only if the guest that wrote it classifies honestly, so ``zkwb ml
#: explain`` explains receipts of these guests, or of a program the caller names.
DIGIT_GUESTS = ("digits_mlp", "digits_forest")

# Darker glyphs for more ink: pixel values 0..16 in five steps.
_SHADES = " .:*#"


@dataclass(frozen=True)
class MlClaim:
    """A digit guest's claim. ``image``: uint8, shape (8, 8), values 0..16."""
    model_digest: bytes            # SHA-256 of the model blob (32 bytes)
    image: np.ndarray
    predicted_class: int
    scores: tuple[int, ...]        # one signed int32 per class

    @property
    def model_digest_hex(self) -> str:
        return self.model_digest.hex()

    def summary(self) -> str:
        """``model <digest> classified <image> as <class>``, the image as ASCII art on
        the lines after it."""
        return (f"model {self.model_digest_hex} classified the image below as "
                f"{self.predicted_class}\n{render_ascii(self.image)}")

    def to_json(self) -> dict:
        """JSON-ready fields: ``model_digest``, ``image`` (8 rows of 8), ``class``, ``scores``."""
        return {"model_digest": self.model_digest_hex, "image": self.image.tolist(),
                "class": self.predicted_class, "scores": list(self.scores)}


def decode_journal(journal: bytes) -> MlClaim:
    """Decode the 137-byte journal of ``digits_mlp`` or ``digits_forest``.

    Raises ``DecodeError`` if the journal has another length, a pixel above 16, a
    class outside 0..9, or a class that is not the first highest score (what the
    guests commit), so that a journal from some other guest is not misread.
    """
    if len(journal) != JOURNAL_BYTES:
        raise DecodeError(f"a digit classifier's journal is {JOURNAL_BYTES} bytes, not "
                          f"{len(journal)}: this receipt is from another kind of guest")
    r = Reader(journal, what="journal")
    digest = r.raw(DIGEST_BYTES, "model digest")
    image = np.frombuffer(r.raw(IMAGE_BYTES, "image"), dtype=np.uint8)
    predicted = r.u8("class")
    scores = struct.unpack(f"<{CLASS_COUNT}i", r.raw(4 * CLASS_COUNT, "scores"))
    r.finish()
    if int(image.max()) > PIXEL_MAX:
        raise DecodeError(f"journal: an image pixel is {int(image.max())}; pixels are 0..{PIXEL_MAX}")
    if predicted >= CLASS_COUNT:
        raise DecodeError(f"journal: the class is {predicted}; classes are 0..{CLASS_COUNT - 1}")
    if predicted != int(np.argmax(scores)):
        raise DecodeError(f"journal: the class {predicted} is not the highest score {list(scores)}")
    return MlClaim(digest, image.reshape(IMAGE_SIDE, IMAGE_SIDE).copy(), predicted, scores)


def digit_guest_image_ids() -> dict[bytes, str]:
    """Image ID -> name of each bundled digit classifier, computed from the shipped
    ELFs (so they follow a rebuild or a circuit version)."""
    from engine.runtime.resources import guest_path
    from engine.vm import load_elf

    return {load_elf(guest_path(name)).image_id: name for name in DIGIT_GUESTS}


def render_ascii(image: np.ndarray) -> str:
    """An 8x8 image (values 0..16) as 8 lines of 16 characters, darker for more ink,
    each pixel drawn twice across so it looks square in a terminal."""
    pixels = np.asarray(image).reshape(IMAGE_SIDE, IMAGE_SIDE)
    steps = len(_SHADES) - 1
    return "\n".join(
        "".join(_SHADES[(int(v) * steps + PIXEL_MAX // 2) // PIXEL_MAX] * 2 for v in row)
        for row in pixels)
