"""Honest proofs of the fibonacci and lookup examples at 2^10 rows, made once per
test process and shared by the test modules that only read them."""
from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import numpy as np

from engine.stark import Proof, ProofParams, prove, trace_shape
from engine.stark.air import Air
from engine.stark.examples import fibonacci, lookup
from engine.stark.examples.witness import ExampleWitness

SHAPE = trace_shape(1 << 10, ProofParams())
EXAMPLES = {"fibonacci": fibonacci, "lookup": lookup}


class ExampleProof(NamedTuple):
    air: Air
    witness: ExampleWitness
    proof: Proof


@functools.cache
def example_proof(name: str, seed: int) -> ExampleProof:
    """The example ``name``'s honest witness drawn with ``seed`` and its proof, whose
    random rows come from ``seed + 1``. These examples need only their public values."""
    module = EXAMPLES[name]
    air = module.build_air()
    witness = module.honest_witness(SHAPE, np.random.default_rng(seed))
    proof = prove(air, witness.main, public_values=witness.publics,
                  rng=np.random.default_rng(seed + 1))
    return ExampleProof(air, witness, proof)


def proof_leaves(obj, path=()):
    """(path, value) for every int, bytes and array inside a proof (dataclasses and
    tuples are walked): what a tamper test changes, one at a time."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from proof_leaves(getattr(obj, f.name), path + (f.name,))
    elif isinstance(obj, tuple):
        for i, item in enumerate(obj):
            yield from proof_leaves(item, path + (i,))
    else:
        yield path, obj


def replaced(obj, path, value):
    """A copy of ``obj`` with the leaf at ``path`` (from :func:`proof_leaves`) set to
    ``value``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, tuple):
        return obj[:head] + (replaced(obj[head], rest, value),) + obj[head + 1:]
    return dataclasses.replace(obj, **{head: replaced(getattr(obj, head), rest, value)})
