"""Regenerate the golden proofs: ``python -m tests.stark.golden.make_golden``.

Only when the protocol or the proof format changes on purpose (bump the versions);
the test that reads them is ``tests/stark/test_golden.py``.
"""
from __future__ import annotations

import os

import numpy as np

from engine.stark import encode_proof, prove
from engine.stark.air import TraceShape
from engine.stark.examples import fibonacci, journal
from engine.stark.params import ProofParams

HERE = os.path.dirname(os.path.abspath(__file__))
HEIGHT = 1 << 10
EXAMPLES = {"fibonacci": fibonacci, "journal": journal}


def witness(name: str):
    """The deterministic witness a golden proof proves (seeded)."""
    shape = TraceShape(HEIGHT, ProofParams().zk_rows)
    return EXAMPLES[name].honest_witness(shape, np.random.default_rng(2026))


def main() -> None:
    for name, example in EXAMPLES.items():
        w = witness(name)
        proof = prove(example.build_air(), w.main, public_values=w.publics,
                      public_data=w.public_data, public_messages=w.public_messages)
        with open(os.path.join(HERE, f"{name}.proof"), "wb") as f:
            f.write(encode_proof(proof))


if __name__ == "__main__":
    main()
