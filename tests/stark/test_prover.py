"""The prover on the example AIRs: honest proofs verify, survive encoding; the row checker
explains refusals; events arrive in order; a cancel stops the work promptly."""
from __future__ import annotations

import functools
import threading
import time

import numpy as np
import pytest

from engine.errors import Cancelled, TraceLimitExceeded, ZkwbError
from engine.events import (
    CancelToken,
    Committed,
    FriLayers,
    PhaseFinished,
    PhaseStarted,
    Progress,
    QueryPositions,
    TraceReady,
)
from engine.stark import (
    ProofParams,
    ProvingError,
    decode_proof,
    encode_proof,
    min_trace_height,
    prove,
    trace_height_for,
    trace_shape,
    verify,
)
from engine.stark.examples import fibonacci, journal, lookup, permutation, wide

PARAMS = ProofParams()
SHAPE = trace_shape(1 << 10, PARAMS)
WIDE_COLUMNS = 24


class _Wide:
    """The wide example at a test-sized width."""

    @staticmethod
    def build_air():
        return wide.build_air(WIDE_COLUMNS)

    @staticmethod
    def honest_witness(shape, rng):
        return wide.honest_witness(shape, rng, WIDE_COLUMNS)

    @staticmethod
    def tampered_witness(shape, rng):
        return wide.tampered_witness(shape, rng, WIDE_COLUMNS)


EXAMPLES = {"fibonacci": fibonacci, "lookup": lookup, "permutation": permutation,
            "journal": journal, "wide": _Wide}


def _inputs(witness) -> dict:
    return {"public_values": witness.publics, "public_data": witness.public_data,
            "public_messages": witness.public_messages}


@functools.cache
def _honest(name: str):
    example = EXAMPLES[name]
    air = example.build_air()
    witness = example.honest_witness(SHAPE, np.random.default_rng(7))
    return air, witness, prove(air, witness.main, **_inputs(witness),
                               rng=np.random.default_rng(8))


@pytest.mark.parametrize("name", EXAMPLES)
def test_honest_proof_verifies(name):
    air, witness, proof = _honest(name)
    result = verify(air, proof, **_inputs(witness))
    assert result.valid, result.reason
    assert result.reason is None
    assert result.security_bits == proof.security_bits >= 100
    assert result.query_positions.shape == (PARAMS.num_queries,)
    assert result.query_passed.all()


@pytest.mark.parametrize("name", EXAMPLES)
def test_honest_proof_survives_encoding(name):
    air, witness, proof = _honest(name)
    data = encode_proof(proof)
    decoded = decode_proof(data)
    assert encode_proof(decoded) == data
    assert verify(air, decoded, **_inputs(witness)).valid


def test_proof_states_height_and_security():
    _, _, proof = _honest("fibonacci")
    assert proof.log_height == 10 and proof.height == 1 << 10
    assert proof.security_bits == 102.0


def test_proof_is_small_and_carries_every_commitment():
    _, _, proof = _honest("lookup")
    assert len(proof.preprocessed_root) == len(proof.main_root) == 32
    assert len(proof.aux_root) == len(proof.quotient_root) == 32
    assert proof.logup_sum.shape == (4,)
    assert len(encode_proof(proof)) < 100_000
    _, _, fib = _honest("fibonacci")
    assert fib.preprocessed_root == fib.aux_root == b"" and fib.logup_sum.size == 0


def test_the_callers_random_rows_do_not_matter():
    air, witness, _ = _honest("fibonacci")
    main = witness.main.copy()
    main[:, SHAPE.real_rows:] = 0
    proof = prove(air, main, **_inputs(witness), rng=np.random.default_rng(3))
    assert verify(air, proof, **_inputs(witness)).valid


def test_public_values_may_be_given_by_name():
    air, witness, proof = _honest("fibonacci")
    named = dict(zip(air.public_names, witness.publics.tolist()))
    assert verify(air, proof, public_values=named).valid


# --- why proving fails -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["fibonacci", "journal", "wide"])
def test_prove_refuses_a_tampered_witness_naming_row_and_constraint(name):
    example = EXAMPLES[name]
    tampered = example.tampered_witness(SHAPE, np.random.default_rng(5))
    with pytest.raises(ProvingError) as caught:
        prove(example.build_air(), tampered.witness.main, **_inputs(tampered.witness))
    first = caught.value.report.first_failure
    assert (first.constraint, first.row) == (tampered.constraint, tampered.row)
    assert f"'{tampered.constraint}'" in str(caught.value)
    assert f"row {tampered.row}" in str(caught.value)
    assert isinstance(caught.value, ZkwbError)


@pytest.mark.parametrize("name", ["lookup", "permutation"])
def test_prove_refuses_an_unbalanced_bus_naming_the_interaction(name):
    example = EXAMPLES[name]
    tampered = example.tampered_witness(SHAPE, np.random.default_rng(5))
    with pytest.raises(ProvingError) as caught:
        prove(example.build_air(), tampered.witness.main, **_inputs(tampered.witness))
    bus = caught.value.report.bus(tampered.bus)
    assert not bus.balanced
    assert any(m.source == tampered.interaction and m.row == tampered.row
               for m in bus.unmatched)
    assert f"bus '{tampered.bus}'" in str(caught.value)


def test_prove_refuses_a_journal_the_trace_did_not_write():
    air, witness, _ = _honest("journal")
    changed = journal.with_changed_journal(witness)
    with pytest.raises(ProvingError, match="bus 'journal'"):
        prove(air, witness.main, **_inputs(changed))


def test_prove_refuses_parameters_below_the_security_floor():
    air, witness, _ = _honest("fibonacci")
    weak = ProofParams(num_queries=20)
    main = np.zeros((air.n_main, 1 << 10), dtype=np.uint32)
    with pytest.raises(ProvingError, match="below the verifier's floor"):
        prove(air, main, public_values=witness.publics, params=weak)


# --- inputs ------------------------------------------------------------------------------

def test_minimum_trace_height_is_2_pow_10():
    assert min_trace_height(PARAMS) == 1 << 10
    assert min_trace_height(ProofParams(zk=False)) == 1 << 10
    assert min_trace_height(ProofParams(num_queries=300)) > 1 << 10
    air = fibonacci.build_air()
    with pytest.raises(ValueError, match="at least 1024 rows"):
        prove(air, np.zeros((2, 512), dtype=np.uint32), public_values=[0, 1, 1])


def test_trace_height_for_leaves_room_for_the_random_rows():
    assert trace_height_for(0, PARAMS) == 1 << 10
    assert trace_height_for(1024 - PARAMS.zk_rows, PARAMS) == 1 << 10
    assert trace_height_for(1024 - PARAMS.zk_rows + 1, PARAMS) == 1 << 11
    assert trace_shape(1 << 12, PARAMS).real_rows == 4096 - 98
    with pytest.raises(TraceLimitExceeded):
        trace_height_for(1 << 22, PARAMS)


@pytest.mark.parametrize("change,error", [
    (lambda m: m[:1], ValueError),
    (lambda m: m[:, :1000], ValueError),
    (lambda m: m.astype(np.float64), ValueError),
    (lambda m: np.where(m == m[0, 0], np.uint32(2**31), m), ValueError),
])
def test_prove_refuses_malformed_traces(change, error):
    air, witness, _ = _honest("fibonacci")
    with pytest.raises(error):
        prove(air, change(witness.main), public_values=witness.publics)


def test_prove_refuses_malformed_public_inputs():
    air, witness, _ = _honest("journal")
    with pytest.raises(ValueError):
        prove(air, witness.main, public_values=witness.publics[:1])
    with pytest.raises(KeyError):
        prove(air, witness.main, public_values={"exit_code": 0})
    with pytest.raises(TypeError):
        prove(air, witness.main, **_inputs(witness), claim="text")
    bad = witness.public_messages[0]
    with pytest.raises(ValueError, match="unknown bus"):
        prove(air, witness.main, public_values=witness.publics,
              public_messages=[type(bad)("nope", bad.values, bad.multiplicities)])


def test_prove_does_not_modify_the_callers_trace():
    air, witness, _ = _honest("fibonacci")
    before = witness.main.copy()
    prove(air, witness.main, public_values=witness.publics, rng=np.random.default_rng(1))
    assert np.array_equal(before, witness.main)


# --- events and cancel ----------------------------------------------------------------

def test_prover_emits_phases_in_order_and_the_trace():
    air, witness, _ = _honest("lookup")
    events = []
    prove(air, witness.main, **_inputs(witness), rng=np.random.default_rng(2),
          on_event=events.append)
    started = [e.phase for e in events if isinstance(e, PhaseStarted)]
    finished = [e.phase for e in events if isinstance(e, PhaseFinished)]
    assert started == ["check", "preprocessed", "commit main", "logup", "quotient", "open",
                       "fri"]
    assert finished == started
    trace = next(e for e in events if isinstance(e, TraceReady))
    assert trace.names == ("x", "sq", "mult")
    assert trace.columns.shape == (3, 1 << 10) and not trace.columns.flags.writeable
    assert np.array_equal(trace.columns[:, :SHAPE.real_rows], witness.main[:, :SHAPE.real_rows])
    assert events.index(trace) < events.index(PhaseStarted("commit main"))
    assert [e.name for e in events if isinstance(e, Committed)] == [
        "preprocessed", "main", "aux", "quotient"]
    assert next(e for e in events if isinstance(e, FriLayers)).sizes[0] == 1 << 12
    positions = next(e for e in events if isinstance(e, QueryPositions))
    assert positions.domain_size == 1 << 12 and positions.positions.shape == (43,)
    fractions = [e.fraction for e in events if isinstance(e, Progress)
                 and e.phase == "quotient"]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 1


def test_prover_without_check_skips_the_check_phase():
    air, witness, _ = _honest("fibonacci")
    events = []
    prove(air, witness.main, public_values=witness.publics, check=False,
          on_event=events.append)
    assert "check" not in [e.phase for e in events if isinstance(e, PhaseStarted)]


def test_cancel_before_starting_raises_cancelled():
    air, witness, _ = _honest("fibonacci")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        prove(air, witness.main, public_values=witness.publics, cancel=token)


@pytest.mark.parametrize("phase", ["commit main", "quotient", "open", "fri"])
def test_cancel_during_a_phase_stops_the_proof(phase):
    air, witness, _ = _honest("lookup")
    token = CancelToken()
    seen = []

    def on_event(event):
        seen.append(event)
        if event == PhaseStarted(phase):
            token.cancel()

    with pytest.raises(Cancelled):
        prove(air, witness.main, **_inputs(witness), cancel=token, on_event=on_event)
    assert not any(isinstance(e, PhaseFinished) and e.phase == phase for e in seen)


def test_cancel_from_another_thread_takes_effect_promptly():
    _honest("wide")    # compiles the AIR's kernels: a compilation cannot be interrupted
    air = wide.build_air(WIDE_COLUMNS)
    shape = trace_shape(1 << 17, PARAMS)
    witness = wide.honest_witness(shape, np.random.default_rng(1), WIDE_COLUMNS)
    token = CancelToken()
    started = threading.Event()
    cancelled_at = []

    def on_event(event):
        if event == PhaseStarted("quotient"):
            started.set()

    def canceller():
        started.wait(60)
        time.sleep(0.02)
        cancelled_at.append(time.perf_counter())
        token.cancel()

    thread = threading.Thread(target=canceller)
    thread.start()
    with pytest.raises(Cancelled):
        prove(air, witness.main, public_values=witness.publics, check=False, cancel=token,
              on_event=on_event)
    latency = time.perf_counter() - cancelled_at[0]
    thread.join()
    assert latency < 1.0
