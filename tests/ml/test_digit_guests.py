"""The digit guests in the zkwb executor, against the NumPy reference and the rules
of the blob format.

Every image of the data set runs through both guests; random and corrupted models
reach the corners of the arithmetic and of the parser; malformed input must end in
exit code 2 with a message, never a fault.
"""
from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest

from engine.codec import DecodeError
from engine.ml.blob import KIND_FOREST, KIND_MLP, decode_model, encode_model
from engine.ml.claim import decode_journal
from engine.ml.interface import EXIT_MALFORMED, JOURNAL_BYTES, image_bytes
from engine.ml.reference import predict
from engine.vm import execute
from tests.ml.conftest import GUESTS
from tests.ml.random_models import random_forest, random_images, random_mlp

KINDS = tuple(GUESTS)
EXPECT_KIND = {"mlp": KIND_MLP, "forest": KIND_FOREST}
MIN_ACCURACY = {"mlp": 0.95, "forest": 0.90}
# Proving cost grows with the trace height (the next power of two): keep inferences
# at or below these heights.
MAX_CYCLES = {"mlp": 1 << 18, "forest": 1 << 19}


def run(programs, kind: str, blob: bytes, image) -> object:
    return execute(programs[kind], blob + image_bytes(image))


def assert_refused(result, kind: str) -> None:
    assert result.exit_code == EXIT_MALFORMED
    assert result.journal == b""
    assert result.log.startswith(f"{GUESTS[kind]}: ".encode()), result.log
    assert result.log.endswith(b"\n") and result.log.count(b"\n") == 1


# -- the bundled models on the whole data set


@pytest.mark.parametrize("kind", KINDS)
def test_guest_agrees_with_the_reference_on_every_digit(programs, models, digits, kind):
    blob, model = models[kind]
    expected_classes, expected_scores = predict(model, digits.images)
    digest = hashlib.sha256(blob).digest()
    classes = np.zeros(len(digits.labels), np.uint8)
    for i, image in enumerate(digits.images):
        result = run(programs, kind, blob, image)
        assert result.exit_code == 0, result.log
        claim = decode_journal(result.journal)
        assert claim.model_digest == digest
        assert claim.image.reshape(-1).tobytes() == image.tobytes()
        assert claim.scores == tuple(expected_scores[i].tolist()), f"image {i}"
        classes[i] = claim.predicted_class
    np.testing.assert_array_equal(classes, expected_classes)
    accuracy = float(np.mean(classes == digits.labels))
    assert accuracy >= MIN_ACCURACY[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_journal_is_digest_image_class_and_little_endian_scores(programs, models, digits, kind):
    blob, model = models[kind]
    image = digits.images[5]
    journal = run(programs, kind, blob, image).journal
    assert len(journal) == JOURNAL_BYTES == 137
    assert journal[:32] == hashlib.sha256(blob).digest()
    assert journal[32:96] == image.tobytes()
    classes, scores = predict(model, image[None, :])
    assert journal[96] == classes[0]
    assert struct.unpack("<10i", journal[97:]) == tuple(scores[0].tolist())


def test_model_digest_in_the_journal_is_sha256_of_the_model_file(programs, digits):
    from tests.ml.conftest import model_path
    for kind in KINDS:
        with open(model_path(kind), "rb") as f:
            blob = f.read()
        journal = run(programs, kind, blob, digits.images[0]).journal
        assert journal[:32].hex() == hashlib.sha256(blob).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_an_inference_stays_within_its_trace_height(programs, models, digits, kind):
    blob, _ = models[kind]
    cycles = max(run(programs, kind, blob, digits.images[i]).cycles for i in range(0, 1797, 97))
    assert cycles <= MAX_CYCLES[kind]


# -- random models: the arithmetic's corners


@pytest.mark.parametrize("seed", range(6))
def test_mlp_guest_agrees_with_the_reference_on_random_models(programs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(8):
        model = random_mlp(rng)
        blob = encode_model(model)
        images = random_images(rng, 3)
        classes, scores = predict(model, images)
        for image, cls, score in zip(images, classes, scores):
            result = run(programs, "mlp", blob, image)
            assert result.exit_code == 0, result.log
            claim = decode_journal(result.journal)
            assert (claim.predicted_class, claim.scores) == (cls, tuple(score.tolist()))


def test_mlp_guest_handles_the_largest_accumulators_the_format_allows(programs):
    """Every weight -128, every bias at the cap, pixels 16, hidden outputs saturated at
    127, the widest layers: |acc| stays below 2^25 and acc * multiplier below 2^56."""
    from engine.ml.blob import MAX_BIAS, MAX_MULTIPLIER, DenseLayer, MlpModel
    for bias in (MAX_BIAS, -MAX_BIAS):
        layers = (DenseLayer(np.full((256, 64), -128, np.int8), np.full(256, -MAX_BIAS, np.int32),
                             MAX_MULTIPLIER, 1),
                  DenseLayer(np.full((256, 256), -128, np.int8), np.full(256, MAX_BIAS, np.int32),
                             MAX_MULTIPLIER, 62),
                  DenseLayer(np.full((10, 256), -128, np.int8), np.full(10, bias, np.int32)))
        model = MlpModel(layers)
        blob = encode_model(model)
        for image in (np.full(64, 16, np.uint8), np.zeros(64, np.uint8)):
            result = run(programs, "mlp", blob, image)
            assert result.exit_code == 0, result.log
            _, scores = predict(model, image)
            assert decode_journal(result.journal).scores == tuple(scores.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_forest_guest_agrees_with_the_reference_on_random_forests(programs, seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(8):
        model = random_forest(rng)
        blob = encode_model(model)
        images = random_images(rng, 4)
        classes, scores = predict(model, images)
        for image, cls, score in zip(images, classes, scores):
            result = run(programs, "forest", blob, image)
            assert result.exit_code == 0, result.log
            claim = decode_journal(result.journal)
            assert (claim.predicted_class, claim.scores) == (cls, tuple(score.tolist()))


# -- malformed input: exit code 2 and one line on the log, never a fault


@pytest.mark.parametrize("kind", KINDS)
def test_every_truncation_of_the_blob_is_refused(programs, models, digits, kind):
    blob, _ = models[kind]
    image = image_bytes(digits.images[0])
    for length in range(len(blob)):
        result = execute(programs[kind], blob[:length] + image)
        assert_refused(result, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_input_without_the_image_or_with_extra_bytes_is_refused(programs, models, digits, kind):
    blob, _ = models[kind]
    image = image_bytes(digits.images[0])
    for data in (b"", blob, blob + image[:63], blob + image + b"\x00", image + blob):
        assert_refused(execute(programs[kind], data), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_pixel_above_16_is_refused(programs, models, kind):
    blob, _ = models[kind]
    image = bytearray(64)
    image[63] = 17
    result = execute(programs[kind], blob + bytes(image))
    assert_refused(result, kind)
    assert b"pixel 63" in result.log


def test_each_guest_refuses_the_other_kind_of_model(programs, models, digits):
    image = image_bytes(digits.images[0])
    result = execute(programs["mlp"], models["forest"][0] + image)
    assert_refused(result, "mlp")
    assert b"forest" in result.log
    assert_refused(execute(programs["forest"], models["mlp"][0] + image), "forest")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("offset, value, reason", [
    (0, ord("X"), b"magic"), (4, 2, b"version"), (6, 9, b"kind 9"), (7, 1, b"reserved"),
    (8, 65, b"input size"), (10, 11, b"class count")])
def test_bad_header_fields_are_named(programs, models, digits, kind, offset, value, reason):
    blob = bytearray(models[kind][0])
    blob[offset] = value
    result = execute(programs[kind], bytes(blob) + image_bytes(digits.images[0]))
    assert_refused(result, kind)
    assert reason in result.log


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_guest_accepts_a_corrupted_blob_exactly_when_the_decoder_does(programs, models, digits,
                                                                     kind, seed):
    """Random byte changes anywhere in the blob: the guest and ``decode_model`` apply
    the same rules, and an accepted blob still computes what the reference does."""
    rng = np.random.default_rng(1000 * seed + len(kind))
    original, _ = models[kind]
    image = digits.images[int(rng.integers(0, len(digits.labels)))]
    accepted = 0
    for _ in range(120):
        blob = bytearray(original)
        for position in rng.integers(0, len(blob), size=int(rng.integers(1, 4))):
            blob[position] = int(rng.integers(0, 256))
        blob = bytes(blob)
        try:
            model = decode_model(blob, expect_kind=EXPECT_KIND[kind])
        except DecodeError:
            model = None
        result = run(programs, kind, blob, image)
        if model is None:
            assert_refused(result, kind)
            continue
        accepted += 1
        assert result.exit_code == 0, result.log
        _, scores = predict(model, image)
        assert decode_journal(result.journal).scores == tuple(scores.tolist())
    assert accepted > 0
