"""Decoding a digit guest's journal into its claim (engine.ml.claim)."""
from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest

from engine.codec import DecodeError
from engine.ml.claim import decode_journal, render_ascii
from engine.ml.interface import image_bytes
from engine.vm import execute

DIGEST = hashlib.sha256(b"model").digest()
IMAGE = (np.arange(64) % 17).astype(np.uint8)


def journal(predicted=3, scores=(0, 1, 2, 9, 4, 5, 6, 7, 8, -1), image=IMAGE, digest=DIGEST) -> bytes:
    return digest + bytes(image) + bytes([predicted]) + struct.pack("<10i", *scores)


def test_decodes_digest_image_class_and_scores():
    claim = decode_journal(journal())
    assert claim.model_digest == DIGEST and claim.model_digest_hex == DIGEST.hex()
    assert claim.image.shape == (8, 8) and claim.image.reshape(-1).tolist() == IMAGE.tolist()
    assert claim.predicted_class == 3
    assert claim.scores == (0, 1, 2, 9, 4, 5, 6, 7, 8, -1)
    assert claim.to_json()["class"] == 3 and len(claim.to_json()["image"]) == 8


def test_decodes_what_the_mlp_guest_commits(programs, models, digits):
    blob, _ = models["mlp"]
    result = execute(programs["mlp"], blob + image_bytes(digits.images[42]))
    claim = decode_journal(result.journal)
    assert claim.model_digest == hashlib.sha256(blob).digest()
    assert claim.predicted_class == digits.labels[42]
    assert claim.summary().startswith(f"model {claim.model_digest_hex} classified")


@pytest.mark.parametrize("data, message", [
    (journal()[:-1], "137 bytes, not 136"), (journal() + b"\x00", "not 138"), (b"55\n", "not 3"),
    (journal(image=np.full(64, 17, np.uint8)), "pixel"),
    (journal(predicted=10), "classes are 0..9"),
    (journal(predicted=2), "not the highest score"),
    (journal(predicted=3, scores=(9, 0, 0, 9, 0, 0, 0, 0, 0, 0)), "not the highest score"),
])
def test_refuses_journals_that_no_digit_guest_writes(data, message):
    with pytest.raises(DecodeError, match=message):
        decode_journal(data)


def test_ascii_rendering_is_8_lines_of_16_characters_darker_for_more_ink():
    image = np.zeros((8, 8), np.uint8)
    image[0, 0], image[0, 1], image[7, 7] = 16, 8, 1
    lines = render_ascii(image).split("\n")
    assert len(lines) == 8 and all(len(line) == 16 for line in lines)
    assert lines[0][:4] == "##::" and lines[7] == " " * 16
