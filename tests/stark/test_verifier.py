"""The verifier: a proof binds every public input and its AIR; dishonest provers fail; the
security estimate is the verifier's own; events report each query."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from engine.events import Committed, PhaseStarted, QueryChecked, QueryPositions
from engine.field.babybear import P
from engine.stark import ProofParams, prove, trace_shape, verify
from engine.stark.air import AirBuilder
from engine.stark.examples import fibonacci, journal, lookup, permutation, wide
from engine.stark.logup_trace import PublicMessages
from tests.rejection import assert_rejected

PARAMS = ProofParams()
SHAPE = trace_shape(1 << 10, PARAMS)
WIDE_COLUMNS = 24


def _example(name):
    if name == "wide":
        return (wide.build_air(WIDE_COLUMNS),
                lambda shape, rng: wide.honest_witness(shape, rng, WIDE_COLUMNS),
                lambda shape, rng: wide.tampered_witness(shape, rng, WIDE_COLUMNS))
    module = {"fibonacci": fibonacci, "lookup": lookup, "permutation": permutation,
              "journal": journal}[name]
    return module.build_air(), module.honest_witness, module.tampered_witness


EXAMPLES = ("fibonacci", "lookup", "permutation", "journal", "wide")

# What the verifier says when a public input, the claim, the AIR or the parameters
# differ from the prover's: they are all absorbed into the transcript, so the first
# check that depends on a challenge fails, the LogUp grinding (or, for an AIR without
# buses, FRI's).
BOUND = ("the LogUp proof of work is invalid", "openings: FRI proof of work is invalid")
SHAPE_REASON = "the proof does not have the shape its parameters and height imply"


def _inputs(witness, **changes) -> dict:
    inputs = {"public_values": witness.publics, "public_data": witness.public_data,
              "public_messages": witness.public_messages, "claim": b"image:1234|exit:0"}
    inputs.update(changes)
    return inputs


@functools.cache
def _honest(name):
    air, honest, _ = _example(name)
    witness = honest(SHAPE, np.random.default_rng(11))
    proof = prove(air, witness.main, **_inputs(witness), rng=np.random.default_rng(12))
    return air, witness, proof


def _rejected(air, proof, *expected: str, **inputs) -> str:
    """Verify ``proof``; assert a rejection for one of the ``expected`` reasons
    (``tests.rejection.assert_rejected``) and return the reason."""
    return assert_rejected(verify(air, proof, **inputs), *expected)


@pytest.mark.parametrize("name", EXAMPLES)
def test_verifier_accepts_the_honest_proof_with_its_claim(name):
    air, witness, proof = _honest(name)
    assert verify(air, proof, **_inputs(witness)).valid


@pytest.mark.parametrize("name", ["fibonacci", "journal", "wide"])  # those with public values
def test_verifier_rejects_changed_public_values(name):
    air, witness, proof = _honest(name)
    publics = witness.publics.copy()
    publics[0] = (int(publics[0]) + 1) % P
    _rejected(air, proof, *BOUND, **_inputs(witness, public_values=publics))


@pytest.mark.parametrize("name", EXAMPLES)
def test_verifier_rejects_a_changed_claim(name):
    air, witness, proof = _honest(name)
    _rejected(air, proof, *BOUND, **_inputs(witness, claim=b"image:1234|exit:1"))
    _rejected(air, proof, *BOUND, **_inputs(witness, claim=b""))


def test_verifier_rejects_a_changed_journal_byte():
    air, witness, proof = _honest("journal")
    for index in (0, len(witness.public_data) - 1):
        changed = journal.with_changed_journal(witness, index)
        _rejected(air, proof, "the LogUp proof of work is invalid", **_inputs(changed))


@pytest.mark.parametrize("name", EXAMPLES)
def test_verifier_rejects_changed_public_messages(name):
    air, witness, proof = _honest(name)
    bus = air.buses[0].name if air.buses else "none"
    extra = PublicMessages.sends(bus, [[1] * (air.buses[0].width if air.buses else 1)])
    expected = "the LogUp proof of work is invalid" if air.buses else "for unknown bus 'none'"
    _rejected(air, proof, expected, **_inputs(witness, public_messages=tuple(
        witness.public_messages) + (extra,)))


def test_verifier_rejects_reordered_public_messages():
    air, witness, proof = _honest("journal")
    messages = witness.public_messages[0]
    split = (PublicMessages("journal", messages.values[1:], messages.multiplicities[1:]),
             PublicMessages("journal", messages.values[:1], messages.multiplicities[:1]))
    _rejected(air, proof, "the LogUp proof of work is invalid",
              **_inputs(witness, public_messages=split))


@pytest.mark.parametrize("name", ["lookup", "wide"])
def test_verifier_rejects_changed_fixed_preprocessed_columns(name):
    """The fixed tables' key is the AIR's own: a verifier whose table differs in one
    value (its functions swapped, so its key is another) rejects the proof."""
    air, witness, proof = _honest(name)
    group = air.prep_groups[0]
    assert group.fixed
    original = group.compute

    def changed(shape):
        values = np.array(original(shape))
        values.reshape(-1)[5] = (int(values.reshape(-1)[5]) + 1) % P
        return values

    patched = dataclasses.replace(group, compute=changed)
    air.prep_groups = (patched,) + air.prep_groups[1:]
    try:
        _rejected(air, proof, "the preprocessed columns do not match the AIR's key",
                  **_inputs(witness))
    finally:
        air.prep_groups = (group,) + air.prep_groups[1:]
    assert verify(air, proof, **_inputs(witness)).valid


def test_fixed_preprocessed_columns_ignore_public_data():
    """An AIR with fixed tables reads no public data for them: any passes."""
    air, witness, proof = _honest("lookup")
    inputs = _inputs(witness)
    for data in (None, {"anything": 1}, b"image"):
        assert verify(air, proof, **{**inputs, "public_data": data}).valid


def test_verifier_rejects_public_data_its_air_cannot_use():
    air = AirBuilder("needs-data")
    column = air.preprocessed("table", lambda shape, data: np.full(shape.height, data["v"]))
    x = air.main("x")
    air.constrain("x_is_table", x - column)
    built = air.build()
    main = np.full((1, 1 << 10), 5, dtype=np.uint32)
    proof = prove(built, main, public_values=[], public_data={"v": 5},
                  rng=np.random.default_rng(1))
    assert verify(built, proof, public_values=[], public_data={"v": 5}).valid
    _rejected(built, proof, "the preprocessed columns do not match the public data",
              public_values=[], public_data={"v": 6})
    _rejected(built, proof, "the preprocessed columns cannot be computed from the public data",
              public_values=[], public_data=None)


@pytest.mark.parametrize("name,other", [("fibonacci", "journal"), ("journal", "fibonacci"),
                                        ("lookup", "permutation"), ("wide", "lookup")])
def test_verifier_rejects_a_proof_for_a_different_air(name, other):
    _, _, proof = _honest(name)
    other_air, other_witness, _ = _honest(other)
    _rejected(other_air, proof, SHAPE_REASON, **_inputs(other_witness))


def test_verifier_rejects_an_air_with_one_constraint_changed():
    _, witness, proof = _honest("fibonacci")
    b = AirBuilder("fibonacci")
    a, x = b.main("a"), b.main("b")
    a0, b0 = b.public("a0"), b.public("b0")
    b.public("result")                       # declared, but no longer constrained
    with b.scope("fib"):
        b.constrain("a_first", a - a0, when=fibonacci.FIRST)
        b.constrain("b_first", x - b0, when=fibonacci.FIRST)
        b.constrain("a_step", a.next - x, when=fibonacci.TRANSITION)
        b.constrain("b_step", x.next - (a + x), when=fibonacci.TRANSITION)
    lenient = b.build()
    _rejected(lenient, proof, *BOUND, **_inputs(witness))


def test_verifier_rejects_other_parameters():
    air, witness, proof = _honest("fibonacci")
    _rejected(air, proof, "centibits of security, the verifier computes", **_inputs(witness),
              params=ProofParams(num_queries=44))
    _rejected(air, proof, SHAPE_REASON, **_inputs(witness), params=ProofParams(zk=False))


# --- dishonest provers -------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_verifier_rejects_a_proof_of_the_tampered_witness(name):
    air, _, tampered_witness = _example(name)
    tampered = tampered_witness(SHAPE, np.random.default_rng(21))
    witness = tampered.witness
    proof = prove(air, witness.main, **_inputs(witness), check=False,
                  rng=np.random.default_rng(22))
    # lookup's and permutation's tampered witnesses break a bus; journal's non-boolean
    # flags (2 and -1, see its module) also change what its rows send, unbalancing the bus,
    # which LogUp checks first; fibonacci's and wide's break a constraint only.
    breaks_a_bus = name in ("lookup", "permutation", "journal")
    _rejected(air, proof, "the LogUp sum S and the public messages do not cancel"
              if breaks_a_bus else "the constraints do not hold", **_inputs(witness))


def test_verifier_rejects_an_unbalanced_journal():
    air, witness, _ = _honest("journal")
    changed = journal.with_changed_journal(witness, 3)
    proof = prove(air, witness.main, **_inputs(changed), check=False,
                  rng=np.random.default_rng(23))
    _rejected(air, proof, "the LogUp sum S and the public messages do not cancel: a bus is "
              "unbalanced", **_inputs(changed))


def test_verifier_rejects_an_unbalanced_lookup():
    air, witness, _ = _honest("lookup")
    main = witness.main.copy()
    main[2, 0] += 1          # the table claims one more lookup of entry 0 than happened
    proof = prove(air, main, **_inputs(witness), check=False, rng=np.random.default_rng(24))
    _rejected(air, proof, "the LogUp sum S and the public messages do not cancel",
              **_inputs(witness))


def test_verifier_rejects_a_witness_breaking_a_constraint_with_the_quotient_check():
    air, witness, _ = _honest("fibonacci")
    publics = witness.publics.copy()
    publics[2] = (int(publics[2]) + 1) % P    # a false result, proven anyway
    proof = prove(air, witness.main, **_inputs(witness, public_values=publics), check=False,
                  rng=np.random.default_rng(25))
    _rejected(air, proof, "the constraints do not hold",
              **_inputs(witness, public_values=publics))


# --- security ------------------------------------------------------------------------------

def test_verifier_reports_its_own_security_estimate():
    air, witness, proof = _honest("wide")
    result = verify(air, proof, **_inputs(witness))
    assert result.security_bits == proof.security_centibits / 100 == 102.0


def test_verifier_rejects_a_misstated_security_level():
    air, witness, proof = _honest("fibonacci")
    inflated = dataclasses.replace(proof, security_centibits=proof.security_centibits + 1)
    _rejected(air, inflated, f"the proof states {proof.security_centibits + 1} centibits of "
              f"security, the verifier computes {proof.security_centibits}", **_inputs(witness))


def test_verifier_refuses_parameters_below_the_floor():
    air, witness, _ = _honest("fibonacci")
    weak = ProofParams(num_queries=30, query_pow_bits=8)
    proof = prove(air, witness.main, **_inputs(witness), params=weak, check=False,
                  rng=np.random.default_rng(26))
    result = verify(air, proof, **_inputs(witness), params=weak)
    assert_rejected(result, "bits of conjectured security (fri_queries) is below the floor")
    assert result.security_bits == 68.0


# --- events ------------------------------------------------------------------------------

def test_verifier_reports_every_query_and_commitment():
    air, witness, proof = _honest("lookup")
    events = []
    result = verify(air, proof, **_inputs(witness), on_event=events.append)
    assert result.valid
    phases = [e.phase for e in events if isinstance(e, PhaseStarted)]
    assert phases == ["preprocessed", "logup", "open", "constraints"]
    assert [e.name for e in events if isinstance(e, Committed)] == [
        "preprocessed", "main", "aux", "quotient"]
    positions = next(e for e in events if isinstance(e, QueryPositions))
    assert np.array_equal(positions.positions, result.query_positions)
    checked = [e for e in events if isinstance(e, QueryChecked)]
    assert [e.index for e in checked] == list(range(PARAMS.num_queries))
    assert all(e.passed for e in checked)


def test_verifier_marks_failing_queries():
    air, witness, proof = _honest("fibonacci")
    opening = proof.opening
    layer = opening.fri.layer_openings[0]
    values = layer.values[0].copy()
    values[0, 0] = (int(values[0, 0]) + 1) % P
    layers = (dataclasses.replace(layer, values=(values,)),) + opening.fri.layer_openings[1:]
    fri = dataclasses.replace(opening.fri, layer_openings=layers)
    bad = dataclasses.replace(proof, opening=dataclasses.replace(opening, fri=fri))
    events = []
    result = verify(air, bad, **_inputs(witness), on_event=events.append)
    assert_rejected(result, "openings: FRI layer 0: Merkle opening does not match the root")
    assert result.query_positions.shape == (PARAMS.num_queries,)
    assert not result.query_passed.any()
    assert not any(e.passed for e in events if isinstance(e, QueryChecked))


# --- the proof's shape, checked before anything of size H -----------------------------------

def _replace_fri(proof, **changes):
    fri = dataclasses.replace(proof.opening.fri, **changes)
    return dataclasses.replace(proof, opening=dataclasses.replace(proof.opening, fri=fri))


def _shape_changes(proof):
    """(label, proof) for proofs that differ from ``proof`` in one count only."""
    fri, pcs = proof.opening.fri, proof.opening
    yield "one FRI layer too many", _replace_fri(
        proof, layer_roots=fri.layer_roots + (bytes(32),),
        layer_openings=fri.layer_openings + fri.layer_openings[-1:])
    yield "a longer final polynomial", _replace_fri(
        proof, final_poly=np.concatenate([fri.final_poly, fri.final_poly]))
    first = pcs.query_openings[0]
    more_rows = dataclasses.replace(first, values=tuple(np.concatenate([v] * 44)
                                                        for v in first.values))
    yield "more rows than queries", dataclasses.replace(proof, opening=dataclasses.replace(
        pcs, query_openings=(more_rows,) + pcs.query_openings[1:]))
    long_path = dataclasses.replace(first, nodes=np.zeros((10_000, 32), dtype=np.uint8))
    yield "a Merkle path longer than the tree", dataclasses.replace(
        proof, opening=dataclasses.replace(pcs, query_openings=(long_path,)
                                           + pcs.query_openings[1:]))
    yield "a group too many", dataclasses.replace(proof, opening=dataclasses.replace(
        pcs, opened_values=pcs.opened_values + pcs.opened_values[-1:]))
    yield "no mask", dataclasses.replace(proof, opening=dataclasses.replace(
        pcs, mask_root=b""))


@pytest.mark.parametrize("index", range(6))
def test_a_proof_of_another_shape_is_rejected_before_the_preprocessed_columns(index):
    air, witness, proof = _honest("lookup")
    label, changed = list(_shape_changes(proof))[index]
    events = []
    result = verify(air, changed, **_inputs(witness), on_event=events.append)
    assert_rejected(result, SHAPE_REASON)
    assert not [e for e in events if isinstance(e, PhaseStarted)], label


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_honest_proof_fits_the_limits_its_shape_gives_the_decoder(name):
    from engine.stark import decode_proof, encode_proof
    from engine.stark.shape import proof_shape
    air, _, proof = _honest(name)
    shape = proof_shape(air, PARAMS, proof.log_height)
    assert shape.check(proof) is None
    encoded = encode_proof(proof)
    assert len(encoded) <= shape.max_bytes()
    decoded = decode_proof(encoded, shape.limits())
    assert encode_proof(decoded) == encoded
    # the same seal claimed for a taller trace does not decode into more
    taller = proof_shape(air, PARAMS, proof.log_height + 4)
    assert taller.check(decoded) is not None


def test_the_caller_sets_the_security_floor():
    air = fibonacci.build_air()
    weak = ProofParams(num_queries=30, query_pow_bits=8)                   # 68 bits
    witness = fibonacci.honest_witness(trace_shape(1 << 10, weak), np.random.default_rng(3))
    proof = prove(air, witness.main, **_inputs(witness), params=weak, check=False,
                  rng=np.random.default_rng(26))
    _rejected(air, proof, "below the floor of 96", **_inputs(witness), params=weak)
    assert verify(air, proof, **_inputs(witness), params=weak, min_security_bits=68).valid
    _, honest_witness, honest = _honest("fibonacci")
    _rejected(air, honest, "below the floor of 102.5", **_inputs(honest_witness),
              min_security_bits=102.5)
