"""The model blob: the versioned binary format of the digit models (docs/ml.md).

A blob is the secret half of a machine-learning guest's private input; its SHA-256
is the model's public commitment. ``encode_model`` and ``decode_model`` apply the same
rules as the guests' parser (``resources/guests/src/ml_common.h``), so a blob decodes
here exactly when a guest accepts it. ``decode_model`` treats its input as untrusted:
it reads field by field from a bounded reader, checks every count against the bytes
that remain before allocating, and rejects trailing bytes.

Layout (little-endian)::

    header   magic "ZKML" | version u16 = 1 | kind u8 | reserved u8 = 0
             | input_size u16 = 64 | class_count u16 = 10
    MLP      layer_count u8, then per layer: inputs u16 | outputs u16
             | multiplier u32 | shift u8 | weights i8[outputs][inputs] | biases i32[outputs]
    forest   tree_count u16, then per tree: node_count u16 | nodes[node_count]
             where a node is feature u8 | value u8 | right u16
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from engine.codec import DecodeError, Reader

MAGIC = b"ZKML"
VERSION = 1
KIND_MLP = 1
KIND_FOREST = 2
KIND_NAMES = {KIND_MLP: "mlp", KIND_FOREST: "forest"}

# The guests' interface: 8x8 images, ten digit classes.
INPUT_SIZE = 64
CLASS_COUNT = 10
HEADER_BYTES = 12

# Caps, shared with the guests (ml_common.h). They bound the guests' static buffer
# and keep every int32 accumulator far from overflow: |acc| <= 256 * 128 * 127 + 2^24
# < 2^25, and acc * multiplier < 2^56 fits the guest's int64 product.
MAX_MODEL_BYTES = 256 * 1024
MAX_LAYERS = 4
MAX_WIDTH = 256
MAX_BIAS = 1 << 24
MAX_SHIFT = 62
MAX_MULTIPLIER = (1 << 31) - 1
HIDDEN_MAX = 127          # hidden activations are ReLU'd and clamped to [0, 127]
MAX_TREES = 1024
MAX_NODES = 32768
LEAF = 0xFF               # a node whose feature is LEAF is a leaf; its value is a class


@dataclass(frozen=True)
class DenseLayer:
    """One fully connected layer: ``acc = weights @ x + biases`` in int32.

    ``weights``: int8, shape (outputs, inputs). ``biases``: int32, shape (outputs,).
    A hidden layer requantizes: ``clamp((acc * multiplier + 2^(shift-1)) >> shift,
    0, 127)``; the last layer has ``multiplier == shift == 0`` and its accumulators
    are the class scores.
    """
    weights: np.ndarray
    biases: np.ndarray
    multiplier: int = 0
    shift: int = 0

    @property
    def inputs(self) -> int:
        return int(self.weights.shape[1])

    @property
    def outputs(self) -> int:
        return int(self.weights.shape[0])


@dataclass(frozen=True)
class MlpModel:
    """An integer-quantized multilayer perceptron (int8 weights, int32 accumulators)."""
    layers: tuple[DenseLayer, ...]
    input_size: int = INPUT_SIZE
    class_count: int = CLASS_COUNT

    kind = KIND_MLP


@dataclass(frozen=True)
class Tree:
    """One decision tree as three parallel arrays of length ``node_count``.

    Node ``i`` with ``feature[i] < input_size`` goes to ``i + 1`` when
    ``pixel[feature[i]] <= value[i]`` and to ``right[i]`` otherwise, with
    ``i + 1 < right[i] < node_count`` so every path ends. A node with
    ``feature[i] == LEAF`` votes for class ``value[i]`` and has ``right[i] == 0``.
    Node 0 is the root. dtypes: uint8, uint8, uint16.
    """
    feature: np.ndarray
    value: np.ndarray
    right: np.ndarray

    @property
    def node_count(self) -> int:
        return int(self.feature.shape[0])


@dataclass(frozen=True)
class ForestModel:
    """A forest of decision trees; each tree casts one vote, the scores count them."""
    trees: tuple[Tree, ...]
    input_size: int = INPUT_SIZE
    class_count: int = CLASS_COUNT

    kind = KIND_FOREST


Model = MlpModel | ForestModel


def encode_model(model: Model) -> bytes:
    """The blob of ``model``. Raises ``DecodeError`` if the model breaks a rule of the
    format (the guests would refuse it), so that an encoded blob always decodes."""
    try:
        blob = _encode(model)
    except (struct.error, ValueError, OverflowError) as e:
        raise DecodeError(f"the model does not fit the blob format: {e}") from None
    decoded = decode_model(blob)  # the format's rules live in one place: the decoder
    if not _same_model(decoded, model):
        raise DecodeError("the model's arrays do not fit the format's integer types")
    return blob


def decode_model(blob: bytes, expect_kind: int | None = None) -> Model:
    """Parse and validate a blob (untrusted input).

    ``expect_kind`` (``KIND_MLP`` or ``KIND_FOREST``) refuses the other kind, as each
    guest does. Raises ``DecodeError`` naming the first field that is wrong:
    truncated, too large, out of range, or trailing bytes.
    """
    if len(blob) > MAX_MODEL_BYTES:
        raise DecodeError(f"model blob is {len(blob)} bytes; the limit is {MAX_MODEL_BYTES}")
    r = _BlobReader(blob)
    if r.raw(4, "magic") != MAGIC:
        raise DecodeError("not a zkwb model blob (the magic bytes are not 'ZKML')")
    version = r.u16("version")
    if version != VERSION:
        raise DecodeError(f"model blob version {version} is not supported (this is version {VERSION})")
    kind = r.u8("kind")
    if kind not in KIND_NAMES:
        raise DecodeError(f"model kind {kind} is unknown (1 = MLP, 2 = forest)")
    if expect_kind is not None and kind != expect_kind:
        raise DecodeError(f"the blob holds a {KIND_NAMES[kind]} model, not a "
                          f"{KIND_NAMES.get(expect_kind, '?')}")
    r.expect(r.u8("reserved byte"), 0, "reserved byte")
    input_size = r.expect(r.u16("input size"), INPUT_SIZE, "input size")
    class_count = r.expect(r.u16("class count"), CLASS_COUNT, "class count")
    if kind == KIND_MLP:
        model: Model = MlpModel(_read_layers(r), input_size, class_count)
    else:
        model = ForestModel(_read_trees(r), input_size, class_count)
    r.finish()
    return model


def model_kind_name(model: Model) -> str:
    """``"mlp"`` or ``"forest"``."""
    return KIND_NAMES[model.kind]


# -- writing and reading the body


def _encode(model: Model) -> bytes:
    parts = [MAGIC, struct.pack("<HBBHH", VERSION, model.kind, 0, model.input_size,
                                model.class_count)]
    if isinstance(model, MlpModel):
        parts.append(struct.pack("<B", len(model.layers)))
        for layer in model.layers:
            parts.append(struct.pack("<HHIB", layer.inputs, layer.outputs,
                                     layer.multiplier, layer.shift))
            parts.append(np.ascontiguousarray(layer.weights, dtype=np.int8).tobytes())
            parts.append(np.ascontiguousarray(layer.biases, dtype="<i4").tobytes())
    elif isinstance(model, ForestModel):
        parts.append(struct.pack("<H", len(model.trees)))
        for tree in model.trees:
            nodes = np.zeros(tree.node_count, dtype=[("f", "u1"), ("v", "u1"), ("r", "<u2")])
            nodes["f"], nodes["v"], nodes["r"] = tree.feature, tree.value, tree.right
            parts.append(struct.pack("<H", tree.node_count))
            parts.append(nodes.tobytes())
    else:
        raise TypeError(f"not a model: {type(model).__name__}")
    return b"".join(parts)


def _read_layers(r: _BlobReader) -> tuple[DenseLayer, ...]:
    count = r.u8("layer count")
    if not 1 <= count <= MAX_LAYERS:
        raise DecodeError(f"model blob: layer count is {count}; it must be 1 to {MAX_LAYERS}")
    layers = []
    width = INPUT_SIZE
    for index in range(count):
        name = f"layer {index + 1}"
        last = index == count - 1
        inputs = r.expect(r.u16(f"{name} inputs"), width, f"{name} inputs")
        outputs = r.u16(f"{name} outputs")
        if last and outputs != CLASS_COUNT:
            raise DecodeError(f"model blob: the last layer has {outputs} outputs, "
                              f"not one per class ({CLASS_COUNT})")
        if not 1 <= outputs <= MAX_WIDTH:
            raise DecodeError(f"model blob: {name} has {outputs} outputs; 1 to {MAX_WIDTH} allowed")
        multiplier = r.u32(f"{name} multiplier")
        shift = r.u8(f"{name} shift")
        if last and (multiplier, shift) != (0, 0):
            raise DecodeError("model blob: the last layer's multiplier and shift must be 0 "
                              "(its accumulators are the scores)")
        if not last and not (1 <= multiplier <= MAX_MULTIPLIER and 1 <= shift <= MAX_SHIFT):
            raise DecodeError(f"model blob: {name} requantizes with multiplier {multiplier} "
                              f"and shift {shift}; they must be 1..2^31-1 and 1..{MAX_SHIFT}")
        weights = np.frombuffer(r.raw(outputs * inputs, f"{name} weights"), dtype=np.int8)
        biases = np.frombuffer(r.raw(4 * outputs, f"{name} biases"), dtype="<i4")
        if np.any(np.abs(biases.astype(np.int64)) > MAX_BIAS):
            raise DecodeError(f"model blob: a bias of {name} is beyond ±2^24")
        layers.append(DenseLayer(weights.reshape(outputs, inputs).copy(),
                                 biases.astype(np.int32), multiplier, shift))
        width = outputs
    return tuple(layers)


def _read_trees(r: _BlobReader) -> tuple[Tree, ...]:
    count = r.u16("tree count")
    if not 1 <= count <= MAX_TREES:
        raise DecodeError(f"model blob: tree count is {count}; it must be 1 to {MAX_TREES}")
    trees = []
    for index in range(count):
        name = f"tree {index + 1}"
        n = r.u16(f"{name} node count")
        if not 1 <= n <= MAX_NODES:
            raise DecodeError(f"model blob: {name} has {n} nodes; 1 to {MAX_NODES} allowed")
        raw = r.raw(4 * n, f"{name} nodes")
        nodes = np.frombuffer(raw, dtype=[("f", "u1"), ("v", "u1"), ("r", "<u2")])
        tree = Tree(nodes["f"].copy(), nodes["v"].copy(), nodes["r"].astype(np.uint16))
        _check_tree(tree, name)
        trees.append(tree)
    return tuple(trees)


def _check_tree(tree: Tree, name: str) -> None:
    index = np.arange(tree.node_count)
    leaf = tree.feature == LEAF
    right = tree.right.astype(np.int64)
    bad = np.flatnonzero(~leaf & (tree.feature >= INPUT_SIZE))
    if bad.size:
        raise DecodeError(f"model blob: {name} node {bad[0]} tests feature "
                          f"{tree.feature[bad[0]]}; features are 0..{INPUT_SIZE - 1}")
    bad = np.flatnonzero(leaf & ((tree.value >= CLASS_COUNT) | (right != 0)))
    if bad.size:
        raise DecodeError(f"model blob: {name} leaf {bad[0]} is malformed "
                          f"(class {tree.value[bad[0]]}, right {right[bad[0]]})")
    bad = np.flatnonzero(~leaf & ((right <= index + 1) | (right >= tree.node_count)))
    if bad.size:
        raise DecodeError(f"model blob: {name} node {bad[0]} has right child "
                          f"{right[bad[0]]}; it must lie after its left child "
                          f"and inside the tree")


def _same_model(a: Model, b: Model) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, MlpModel):
        return len(a.layers) == len(b.layers) and all(
            np.array_equal(x.weights, y.weights) and np.array_equal(x.biases, y.biases)
            and (x.multiplier, x.shift) == (y.multiplier, y.shift)
            for x, y in zip(a.layers, b.layers))
    return len(a.trees) == len(b.trees) and all(
        np.array_equal(x.feature, y.feature) and np.array_equal(x.value, y.value)
        and np.array_equal(x.right, y.right) for x, y in zip(a.trees, b.trees))


class _BlobReader(Reader):
    """``engine.codec.Reader`` plus the u16 fields and exact-value checks of blobs."""

    def __init__(self, blob: bytes) -> None:
        super().__init__(blob, what="model blob")

    def u16(self, field: str) -> int:
        return struct.unpack("<H", self.raw(2, field))[0]

    @staticmethod
    def expect(value: int, wanted: int, field: str) -> int:
        if value != wanted:
            raise DecodeError(f"model blob: {field} is {value}, expected {wanted}")
        return value
