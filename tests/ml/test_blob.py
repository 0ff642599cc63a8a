"""The model blob format: encoding, decoding and every rule the decoder enforces."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from engine.codec import DecodeError
from engine.ml.blob import (
    KIND_FOREST,
    KIND_MLP,
    LEAF,
    MAX_BIAS,
    MAX_MODEL_BYTES,
    DenseLayer,
    ForestModel,
    MlpModel,
    Tree,
    decode_model,
    encode_model,
)
from tests.ml.random_models import random_forest, random_mlp


def small_mlp(**changes) -> MlpModel:
    hidden = DenseLayer(np.ones((3, 64), np.int8), np.arange(3, dtype=np.int32), 1 << 30, 36)
    last = DenseLayer(np.full((10, 3), -2, np.int8), np.zeros(10, np.int32))
    layers = changes.pop("layers", (hidden, last))
    return MlpModel(layers, **changes)


def small_tree() -> Tree:
    # node 0: pixel 5 <= 3 ? node 1 (leaf 7) : node 2 (leaf 1)
    return Tree(np.array([5, LEAF, LEAF], np.uint8), np.array([3, 7, 1], np.uint8),
                np.array([2, 0, 0], np.uint16))


def test_mlp_blob_layout_is_header_then_layers():
    blob = encode_model(small_mlp())
    assert blob[:12] == b"ZKML" + struct.pack("<HBBHH", 1, KIND_MLP, 0, 64, 10)
    assert blob[12] == 2                                       # layer count
    assert struct.unpack_from("<HHIB", blob, 13) == (64, 3, 1 << 30, 36)
    assert blob[22:22 + 192] == b"\x01" * 192                  # weights, row-major
    assert struct.unpack_from("<3i", blob, 214) == (0, 1, 2)   # biases
    assert struct.unpack_from("<HHIB", blob, 226) == (3, 10, 0, 0)
    assert len(blob) == 226 + 9 + 30 + 40


def test_forest_blob_layout_is_header_then_trees_of_four_byte_nodes():
    blob = encode_model(ForestModel((small_tree(), small_tree())))
    assert blob[:12] == b"ZKML" + struct.pack("<HBBHH", 1, KIND_FOREST, 0, 64, 10)
    assert struct.unpack_from("<HH", blob, 12) == (2, 3)
    assert blob[16:28] == bytes([5, 3, 2, 0, LEAF, 7, 0, 0, LEAF, 1, 0, 0])
    assert len(blob) == 12 + 2 + 2 * (2 + 12)


@pytest.mark.parametrize("seed", range(20))
def test_random_models_survive_a_round_trip(seed):
    rng = np.random.default_rng(seed)
    for model in (random_mlp(rng), random_forest(rng)):
        blob = encode_model(model)
        again = decode_model(blob)
        assert encode_model(again) == blob


def test_bundled_models_decode_to_their_kinds(models):
    assert isinstance(models["mlp"][1], MlpModel)
    assert isinstance(models["forest"][1], ForestModel)
    for blob, model in models.values():
        assert encode_model(model) == blob


def test_decoder_refuses_the_other_kind_when_asked(models):
    with pytest.raises(DecodeError, match="forest model, not a mlp"):
        decode_model(models["forest"][0], expect_kind=KIND_MLP)


@pytest.mark.parametrize("kind", ["mlp", "forest"])
def test_every_truncation_is_refused(models, kind):
    blob = models[kind][0]
    for length in range(len(blob)):
        with pytest.raises(DecodeError):
            decode_model(blob[:length])


def test_trailing_bytes_are_refused(models):
    with pytest.raises(DecodeError, match="trailing"):
        decode_model(models["mlp"][0] + b"\x00")


def test_oversized_blob_is_refused_before_parsing():
    with pytest.raises(DecodeError, match="limit"):
        decode_model(b"ZKML" + bytes(MAX_MODEL_BYTES))


@pytest.mark.parametrize("offset, value, message", [
    (0, ord("z"), "magic"), (4, 0, "version 0"), (6, 0, "kind 0"), (6, 3, "kind 3"),
    (7, 1, "reserved"), (8, 63, "input size"), (10, 9, "class count"),
    (12, 0, "layer count is 0"), (12, 5, "layer count is 5")])
def test_header_and_layer_count_rules(offset, value, message):
    blob = bytearray(encode_model(small_mlp()))
    blob[offset] = value
    with pytest.raises(DecodeError, match=message):
        decode_model(bytes(blob))


def _mlp_with(hidden=None, last=None) -> bytes:
    """A blob built by hand, so that rules the encoder enforces can be broken."""
    hidden = {"inputs": 64, "outputs": 3, "multiplier": 1 << 30, "shift": 36, "bias": 0, **(hidden or {})}
    last = {"inputs": 3, "outputs": 10, "multiplier": 0, "shift": 0, "bias": 0, **(last or {})}
    parts = [b"ZKML", struct.pack("<HBBHH", 1, KIND_MLP, 0, 64, 10), b"\x02"]
    for layer, (rows, cols) in ((hidden, (3, 64)), (last, (10, 3))):
        parts.append(struct.pack("<HHIB", layer["inputs"], layer["outputs"], layer["multiplier"],
                                 layer["shift"]))
        parts.append(bytes(layer["outputs"] * layer["inputs"]))
        parts.append(struct.pack(f"<{layer['outputs']}i", *[layer["bias"]] * layer["outputs"]))
    return b"".join(parts)


def test_hand_built_blob_is_valid():
    assert isinstance(decode_model(_mlp_with()), MlpModel)


@pytest.mark.parametrize("hidden, last, message", [
    ({"inputs": 63}, None, "inputs is 63, expected 64"),
    ({"outputs": 0}, {"inputs": 0}, "0 outputs"),
    (None, {"outputs": 9}, "last layer has 9 outputs"),
    ({"multiplier": 0}, None, "multiplier 0"),
    ({"multiplier": 1 << 31}, None, "multiplier 2147483648"),
    ({"shift": 0}, None, "shift 0"),
    ({"shift": 63}, None, "shift 63"),
    (None, {"multiplier": 1}, "must be 0"),
    (None, {"shift": 1}, "must be 0"),
    ({"bias": MAX_BIAS + 1}, None, "bias"),
    (None, {"bias": -MAX_BIAS - 1}, "bias"),
])
def test_layer_rules(hidden, last, message):
    with pytest.raises(DecodeError, match=message):
        decode_model(_mlp_with(hidden, last))


def test_biases_at_the_cap_are_allowed():
    hidden, last = decode_model(_mlp_with({"bias": -MAX_BIAS}, {"bias": MAX_BIAS})).layers
    assert hidden.biases.tolist() == [-MAX_BIAS] * 3
    assert last.biases.tolist() == [MAX_BIAS] * 10


def _forest_with(feature, value, right, tree_count=None) -> bytes:
    nodes = b"".join(struct.pack("<BBH", f, v, r) for f, v, r in zip(feature, value, right))
    count = 1 if tree_count is None else tree_count
    return (b"ZKML" + struct.pack("<HBBHH", 1, KIND_FOREST, 0, 64, 10) +
            struct.pack("<HH", count, len(feature)) + nodes)


@pytest.mark.parametrize("feature, value, right, message", [
    ([64, LEAF, LEAF], [0, 0, 0], [2, 0, 0], "feature 64"),
    ([5, LEAF, LEAF], [0, 10, 0], [2, 0, 0], "leaf 1 is malformed"),
    ([5, LEAF, LEAF], [0, 1, 0], [2, 1, 0], "leaf 1 is malformed"),
    ([5, LEAF, LEAF], [0, 1, 0], [1, 0, 0], "right child 1"),
    ([5, LEAF, LEAF], [0, 1, 0], [0, 0, 0], "right child 0"),
    ([5, LEAF, LEAF], [0, 1, 0], [3, 0, 0], "right child 3"),
    ([5], [0], [2], "right child 2"),
])
def test_tree_rules(feature, value, right, message):
    with pytest.raises(DecodeError, match=message):
        decode_model(_forest_with(feature, value, right))


def test_a_loop_between_nodes_is_impossible():
    """Right children must point forward, so a walk cannot revisit a node."""
    with pytest.raises(DecodeError, match="right child"):
        decode_model(_forest_with([5, 6, LEAF, LEAF], [0, 0, 1, 2], [3, 0, 0, 0]))


def test_tree_and_node_counts_must_be_positive():
    with pytest.raises(DecodeError, match="tree count is 0"):
        decode_model(_forest_with([], [], [], tree_count=0))
    with pytest.raises(DecodeError, match="0 nodes"):
        decode_model(_forest_with([], [], []))


def test_encoder_refuses_models_that_break_the_format():
    wide = DenseLayer(np.zeros((10, 64), np.int16) + 300, np.zeros(10, np.int32))
    with pytest.raises(DecodeError):
        encode_model(MlpModel((wide,)))
    not_ten = DenseLayer(np.zeros((9, 64), np.int8), np.zeros(9, np.int32))
    with pytest.raises(DecodeError, match="9 outputs"):
        encode_model(MlpModel((not_ten,)))
    backwards = Tree(np.array([5, LEAF, LEAF], np.uint8), np.zeros(3, np.uint8),
                     np.array([1, 0, 0], np.uint16))
    with pytest.raises(DecodeError, match="right child"):
        encode_model(ForestModel((backwards,)))
    with pytest.raises(DecodeError):
        encode_model(small_mlp(layers=(DenseLayer(np.zeros((10, 64), np.int8),
                                                  np.zeros(10, np.int32), 1 << 32, 1),)))
