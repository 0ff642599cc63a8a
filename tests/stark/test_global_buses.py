"""Global buses and stage-0 columns: a set of proofs that balances only as a whole.

The chain example (engine/stark/examples/chain.py) runs one counter across several
proofs. Honest sets verify and their shares balance; every way of breaking the chain
(a proof dropped, duplicated, swapped, from another set, started at the wrong value,
a stage-0 root that is not the one the challenges came from) is rejected, by a proof's
own verification or by the set's balance."""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine.field.babybear import P
from engine.stark import ProofParams, trace_shape
from engine.stark.air import AirBuilder
from engine.stark.examples import chain
from engine.stark.prover import commit_stage0, prove, stage0_zk_rows
from engine.stark.stage0 import global_challenges, global_sum_balances
from engine.stark.verifier import verify
from tests.rejection import assert_rejected
from tests.stark.example_proofs import proof_leaves, replaced

SHAPE = trace_shape(1 << 10, ProofParams())
CLAIM = b"chain claim"
# A proof checked with other global challenges than it was made with: the transcript
# absorbed them before LogUp's proof of work, so that is where it fails first.
MISMATCHED = ("the LogUp proof of work is invalid", "the constraints do not hold",
              "openings: ")


def _prove_set(witnesses, claim=CLAIM, check=True, seeds=None):
    air = chain.build_air()
    seeds = seeds or [os.urandom(32) for _ in witnesses]
    roots = [commit_stage0(air, w.main, stage0_seed=s) for w, s in zip(witnesses, seeds)]
    challenges = global_challenges(air, claim, roots)
    proofs = [prove(air, w.main, public_values=w.publics, claim=claim, check=check,
                    stage0_seed=s, global_challenges=challenges)
              for w, s in zip(witnesses, seeds)]
    return proofs, roots


def _verify_set(proofs, count, claim=CLAIM, start=7):
    """(every proof valid, shares balance): what a set verifier decides."""
    air = chain.build_air()
    challenges = global_challenges(air, claim, [p.stage0_root for p in proofs])
    results = [verify(air, p, public_values=[k], claim=claim, global_challenges=challenges)
               for k, p in enumerate(proofs)]
    if not all(r.valid for r in results):
        return results
    balanced = global_sum_balances(air, [r.global_sum for r in results],
                                   chain.chain_messages(SHAPE, count, start), challenges)
    return results, balanced


@pytest.fixture(scope="module")
def honest_set():
    witnesses = chain.honest_chain(SHAPE, 3)
    proofs, roots = _prove_set(witnesses)
    return witnesses, proofs, roots


def test_an_honest_set_verifies_and_balances(honest_set):
    _, proofs, roots = honest_set
    results, balanced = _verify_set(proofs, 3)
    assert all(r.valid for r in results) and balanced
    assert [p.stage0_root for p in proofs] == roots
    assert all(r.global_sum is not None and r.global_sum.shape == (4,) for r in results)


@pytest.mark.parametrize("edit", ["drop_middle", "drop_last", "duplicate", "swap"])
def test_a_broken_sequence_does_not_balance(honest_set, edit):
    _, proofs, _ = honest_set
    edited = {"drop_middle": [proofs[0], proofs[2]], "drop_last": proofs[:2],
              "duplicate": [proofs[0], proofs[1], proofs[1], proofs[2]],
              "swap": [proofs[1], proofs[0], proofs[2]]}[edit]
    outcome = _verify_set(edited, len(edited))
    # The challenges come from the edited list of roots, so the proofs themselves
    # no longer verify (their transcripts absorbed the original challenges).
    assert isinstance(outcome, list)
    for result in outcome:
        if not result.valid:
            assert_rejected(result, *MISMATCHED)
    assert not all(r.valid for r in outcome)


def test_a_proof_from_another_set_is_rejected(honest_set):
    _, proofs, _ = honest_set
    other, _ = _prove_set(chain.honest_chain(SHAPE, 3))
    outcome = _verify_set([proofs[0], other[1], proofs[2]], 3)
    assert isinstance(outcome, list)
    assert_rejected(outcome[0], *MISMATCHED)


def test_a_dishonest_link_is_rejected_by_the_balance():
    """Proof 1 starts one past where proof 0 ended: every proof is valid on its own
    (checks off, the row checker cannot see a global bus anyway), the set is not."""
    witnesses = chain.honest_chain(SHAPE, 2)
    bad = chain.honest_chain(SHAPE, 2, start=8)[1]
    proofs, _ = _prove_set([witnesses[0], bad], check=False)
    results, balanced = _verify_set(proofs, 2)
    assert all(r.valid for r in results)
    assert not balanced


def test_global_challenges_must_match_the_stage0_roots(honest_set):
    _, proofs, roots = honest_set
    air = chain.build_air()
    wrong = global_challenges(air, b"another claim", roots)
    result = verify(air, proofs[0], public_values=[0], claim=CLAIM, global_challenges=wrong)
    assert_rejected(result, *MISMATCHED)
    result = verify(air, proofs[0], public_values=[0], claim=CLAIM)
    assert_rejected(result, "this AIR has global buses")


def test_the_stage0_root_of_both_phases_is_the_same():
    air = chain.build_air()
    w = chain.honest_chain(SHAPE, 1)[0]
    seed = bytes(range(32))
    root = commit_stage0(air, w.main, stage0_seed=seed)
    proof = prove(air, w.main, public_values=w.publics, stage0_seed=seed,
                  global_challenges=global_challenges(air, b"", [root]))
    assert proof.stage0_root == root
    assert commit_stage0(air, w.main, stage0_seed=bytes(32)) != root
    rows = stage0_zk_rows(seed, 1, SHAPE.zk_rows)
    assert rows.shape == (1, SHAPE.zk_rows) and len(set(rows[0].tolist())) > SHAPE.zk_rows - 2


def test_a_global_message_may_read_only_stage0_columns():
    b = AirBuilder("bad")
    b.stage0_group("s", ("a",))
    late = b.main("late")
    b.bus("g", 1, is_global=True)
    b.send("g", [late], mult=1, name="leak")
    with pytest.raises(ValueError, match="not in stage 0"):
        b.build()


def test_stage0_columns_come_first():
    b = AirBuilder("bad")
    b.main("first")
    with pytest.raises(ValueError, match="stage-0 columns come first"):
        b.stage0_group("s", ("a",))


def test_public_messages_on_a_global_bus_do_not_belong_to_one_proof(honest_set):
    _, proofs, roots = honest_set
    air = chain.build_air()
    result = verify(air, proofs[0], public_values=[0], claim=CLAIM,
                    public_messages=chain.chain_messages(SHAPE, 3),
                    global_challenges=global_challenges(air, CLAIM, roots))
    assert_rejected(result, "public messages on a global bus")


def _altered(value):
    if isinstance(value, bytes):
        return bytes([value[0] ^ 1]) + value[1:] if value else b"\x01"
    if isinstance(value, np.ndarray):
        if not value.size:
            return None
        out = value.copy()
        middle = value.size // 2
        if out.dtype.kind == "b":
            out.flat[middle] = not out.flat[middle]
            return out
        # Field elements wrap at p, bytes (digests) at 256: always a different value.
        top = P if out.dtype.itemsize >= 4 else int(np.iinfo(out.dtype).max) + 1
        out.flat[middle] = (int(out.flat[middle]) + 1) % top
        return out
    if isinstance(value, int):
        return value + 1
    return None


def test_every_field_of_a_linked_proof_is_bound(honest_set):
    """The stage-0 root, both LogUp sums (the global share included) and every other
    field: changing one makes the proof fail its own verification."""
    _, proofs, roots = honest_set
    air = chain.build_air()
    challenges = global_challenges(air, CLAIM, roots)
    seen = 0
    for path, value in proof_leaves(proofs[1]):
        changed = _altered(value)
        if changed is None:
            continue
        seen += 1
        result = verify(air, replaced(proofs[1], path, changed), public_values=[1],
                        claim=CLAIM, global_challenges=challenges)
        assert_rejected(result, "the proof does not have the shape", "the proof states",
                        "the trace height", "root is not", "the preprocessed columns do not match",
                        "the LogUp", "openings: ",
                        "the constraints do not hold")
    assert seen > 20
