"""Golden proofs made by an earlier build must still verify (and reject a change).

They pin the protocol and the proof encoding: a change that breaks them changes the
format, so it must bump a version and regenerate them (tests/stark/golden/make_golden.py).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine.stark import decode_proof, verify
from tests.rejection import assert_rejected
from tests.stark.golden.make_golden import EXAMPLES, HERE, witness


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden_proof_still_verifies(name):
    data = open(os.path.join(HERE, f"{name}.proof"), "rb").read()
    w = witness(name)
    result = verify(EXAMPLES[name].build_air(), decode_proof(data), public_values=w.publics,
                    public_data=w.public_data, public_messages=w.public_messages)
    assert result.valid, result.reason


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden_proof_rejects_other_public_values(name):
    data = open(os.path.join(HERE, f"{name}.proof"), "rb").read()
    w = witness(name)
    publics = np.array(w.publics, dtype=np.uint32).copy()
    publics[0] = (int(publics[0]) + 1) % 0x78000001
    result = verify(EXAMPLES[name].build_air(), decode_proof(data), public_values=publics,
                    public_data=w.public_data, public_messages=w.public_messages)
    # The public values are absorbed into the transcript: the first check that depends
    # on a challenge fails, the LogUp grinding (FRI's for an AIR without buses).
    assert_rejected(result, "the LogUp proof of work is invalid",
                    "openings: FRI proof of work is invalid")
