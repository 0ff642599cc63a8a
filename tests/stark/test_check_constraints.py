"""The row checker names the first failing row and constraint, and the unmatched
messages of an unbalanced bus."""
import dataclasses

import numpy as np
import pytest

from engine.errors import Cancelled
from engine.events import CancelToken
from engine.field.babybear import P
from engine.stark.air import TraceShape
from engine.stark.check_constraints import ConstraintsNotSatisfied, check_constraints
from engine.stark.examples import fibonacci, journal
from engine.stark.logup_trace import PublicMessages
from tests.stark.test_air_support import EXAMPLE_IDS, EXAMPLES

SHAPE = TraceShape(128, 8)
# Both ways of finding failures (see engine.stark.check_constraints): same reports.
MODES = pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])


def _check(air, witness, **kwargs):
    return check_constraints(air, witness.main, witness.preprocessed(air), witness.publics,
                             zk_rows=witness.shape.zk_rows,
                             public_messages=witness.public_messages, **kwargs)


@MODES
@pytest.mark.parametrize("module, kwargs", EXAMPLES, ids=EXAMPLE_IDS)
def test_honest_witness_of_every_example_passes(module, kwargs, compiled):
    air = module.build_air(**kwargs)
    report = _check(air, module.honest_witness(SHAPE, np.random.default_rng(1), **kwargs),
                    compiled=compiled)
    assert report.ok, str(report)
    assert report.first_failure is None
    report.raise_if_failed()
    assert "every constraint holds" in str(report)


@MODES
@pytest.mark.parametrize("module, kwargs", EXAMPLES, ids=EXAMPLE_IDS)
def test_tampered_witness_is_reported_at_its_exact_row_and_constraint(module, kwargs,
                                                                       compiled):
    air = module.build_air(**kwargs)
    tampered = module.tampered_witness(SHAPE, np.random.default_rng(2), **kwargs)
    report = _check(air, tampered.witness, compiled=compiled)
    assert not report.ok
    with pytest.raises(ConstraintsNotSatisfied):
        report.raise_if_failed()
    if tampered.constraint is not None:
        first = report.first_failure
        assert (first.constraint, first.row) == (tampered.constraint, tampered.row)
        assert tampered.constraint in str(report) and f"row {tampered.row}" in str(report)
    else:
        balance = report.bus(tampered.bus)
        assert not balance.balanced
        assert any(m.row == tampered.row and m.source == tampered.interaction
                   and m.net != 0 for m in balance.unmatched), str(report)


def test_failure_shows_the_values_the_constraint_read():
    air = fibonacci.build_air()
    tampered = fibonacci.tampered_witness(SHAPE, np.random.default_rng(3))
    first = _check(air, tampered.witness).first_failure
    main, row = tampered.witness.main, tampered.row
    assert first.inputs == {"b'": int(main[1, row + 1]), "a": int(main[0, row]),
                            "b": int(main[1, row])}
    assert first.value == 1 and first.expression == "b' - (a + b)"


@MODES
def test_random_rows_are_not_checked(compiled):
    air = fibonacci.build_air()
    witness = fibonacci.honest_witness(SHAPE, np.random.default_rng(4))
    assert _check(air, witness.with_cell(0, SHAPE.height - 1, 12345), compiled=compiled).ok
    assert not _check(air, witness.with_cell(0, SHAPE.real_rows - 1, 12345),
                      compiled=compiled).ok


@pytest.mark.parametrize("module, kwargs", EXAMPLES, ids=EXAMPLE_IDS)
def test_compiled_and_numpy_checks_report_the_same_failures(module, kwargs):
    # Many cells changed: several constraints fail on many rows, buses unbalance.
    air = module.build_air(**kwargs)
    witness = module.honest_witness(SHAPE, np.random.default_rng(13), **kwargs)
    rng = np.random.default_rng(14)
    main = witness.main.copy()
    for column, row in zip(rng.integers(0, air.n_main, 12),
                           rng.integers(0, SHAPE.real_rows, 12)):
        main[column, row] = (int(main[column, row]) + 1) % P
    changed = dataclasses.replace(witness, main=main)
    numpy_report = _check(air, changed, compiled=False)
    compiled_report = _check(air, changed, compiled=True)
    assert not numpy_report.ok
    assert compiled_report.failures == numpy_report.failures
    assert compiled_report.buses == numpy_report.buses
    assert str(compiled_report) == str(numpy_report)


@MODES
def test_a_cancelled_check_raises_cancelled(compiled):
    air = fibonacci.build_air()
    witness = fibonacci.honest_witness(SHAPE, np.random.default_rng(15))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        _check(air, witness, compiled=compiled, cancel=token)


def test_wrong_public_value_fails_the_last_row_constraint():
    air = fibonacci.build_air()
    witness = fibonacci.honest_witness(SHAPE, np.random.default_rng(5))
    publics = witness.publics.copy()
    publics[2] = (int(publics[2]) + 1) % P
    report = check_constraints(air, witness.main, None, publics, zk_rows=SHAPE.zk_rows)
    assert (report.first_failure.constraint, report.first_failure.row) == \
        ("fib.b_last", SHAPE.real_rows - 1)


@MODES
def test_journal_bus_reports_the_verifier_messages_that_the_trace_did_not_send(compiled):
    air = journal.build_air()
    witness = journal.honest_witness(SHAPE, np.random.default_rng(6))
    claimed = journal.with_changed_journal(witness, index=0)
    balance = _check(air, claimed, compiled=compiled).bus("journal")
    assert balance.n_unmatched == 2
    public = [m for m in balance.unmatched if m.source == "public"]
    traced = [m for m in balance.unmatched if m.source != "public"]
    assert len(public) == 1 and public[0].net == -1 and public[0].row is None
    assert public[0].values == (0, (int(witness.public_data[0]) + 1) % P)
    assert len(traced) == 1 and traced[0].net == 1


def test_unmatched_messages_are_capped_but_counted():
    air = journal.build_air()
    witness = journal.honest_witness(SHAPE, np.random.default_rng(7))
    extra = PublicMessages.sends("journal", [[1000 + k, k] for k in range(30)])
    report = check_constraints(air, witness.main, None, witness.publics,
                               zk_rows=SHAPE.zk_rows,
                               public_messages=witness.public_messages + (extra,),
                               max_unmatched=5)
    assert report.bus("journal").n_unmatched == 30
    assert len(report.bus("journal").unmatched) == 5


def test_malformed_inputs_are_refused():
    air = fibonacci.build_air()
    witness = fibonacci.honest_witness(SHAPE, np.random.default_rng(8))
    with pytest.raises(ValueError):
        check_constraints(air, witness.main[:1], None, witness.publics, zk_rows=8)
    with pytest.raises(ValueError):
        check_constraints(air, witness.main, None, witness.publics[:2], zk_rows=8)
    with pytest.raises(ValueError):
        check_constraints(air, witness.main, None, witness.publics, zk_rows=SHAPE.height)
    with pytest.raises(ValueError, match="unknown buses"):
        check_constraints(air, witness.main, None, witness.publics, zk_rows=8,
                          public_messages=[PublicMessages.sends("nope", [[1]])])
