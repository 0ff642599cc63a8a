"""LogUp: batching by degree, the aux trace against its constraints and a fraction-by-
fraction sum, balance with the verifier's public messages."""
import numpy as np
import pytest

from engine.field.babybear import P
from engine.field.scalar import Ext
from engine.stark.air import AirBuilder, TraceShape
from engine.stark.check_constraints import check_constraints
from engine.stark.examples import journal, lookup
from engine.stark.logup_trace import (
    PublicMessages,
    build_aux_trace,
    interaction_sum,
    public_interaction_sum,
    total_interactions,
)
from tests.stark.test_air_support import (
    EXAMPLE_IDS,
    EXAMPLES,
    reference_logup_sum,
    reference_public_sum,
)

SHAPE = TraceShape(256, 16)
CHALLENGES = [Ext(11, 22, 33, 44), Ext(55, 66, 77, 88)]


def _air_with(declare):
    b = AirBuilder("t")
    cols = [b.main(f"x{k}") for k in range(4)]
    declare(b, cols)
    return b.build()


def test_degree_one_interactions_are_paired_at_degree_three():
    air = _air_with(lambda b, x: [b.send("bus", [x[k], x[k + 1]], mult=x[k])
                                  for k in range(3)])
    assert air.logup.batches == ((0, 1), (2,))
    assert air.aux_names == ("logup.h0", "logup.h1", "logup.phi")
    assert max(c.degree for c in air.constraints) == 3


def test_higher_degree_messages_get_a_column_of_their_own():
    air = _air_with(lambda b, x: [b.send("bus", [x[0] * x[1]]), b.send("bus", [x[2]]),
                                  b.send("bus", [x[3]])])
    assert air.logup.batches == ((0,), (1, 2))


def test_a_batch_limit_follows_the_maximum_degree():
    def declare(b, x):
        for k in range(4):
            b.send("bus", [x[k]])
    assert _air_with(declare).logup.batches == ((0, 1), (2, 3))
    b = AirBuilder("t")
    declare(b, [b.main(f"x{k}") for k in range(4)])
    assert b.build(max_degree=5).logup.batches == ((0, 1, 2, 3),)


def test_an_interaction_too_high_for_any_batch_is_refused_by_name():
    with pytest.raises(ValueError, match="'big'"):
        _air_with(lambda b, x: b.send("bus", [x[0] * x[1] * x[2]], name="big"))


def test_an_exclusive_group_shares_one_column_and_constrains_its_flags():
    air = journal.build_air()
    assert air.logup.batches == ((0,),)
    assert air.logup.fractions[0].interactions == (0, 1)
    names = [c.name for c in air.constraints]
    assert {"io.write_x.flag_boolean", "io.write_acc.flag_boolean",
            "io.out.flags_exclusive"} <= set(names)


@pytest.mark.parametrize("module, kwargs", EXAMPLES[1:], ids=EXAMPLE_IDS[1:])
def test_interaction_sum_is_the_aux_trace_sum(module, kwargs):
    rng = np.random.default_rng(8)
    air = module.build_air(**kwargs)
    witness = module.honest_witness(SHAPE, rng, **kwargs)
    prep = witness.preprocessed(air)
    _, logup_sum = build_aux_trace(air, witness.main, prep, witness.publics, CHALLENGES,
                                   SHAPE.zk_rows, rng)
    total = interaction_sum(air, witness.main, prep, witness.publics, CHALLENGES,
                            SHAPE.zk_rows)
    assert total == Ext(*map(int, logup_sum))


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize("module, kwargs", EXAMPLES[1:], ids=EXAMPLE_IDS[1:])
def test_aux_trace_satisfies_its_constraints_and_sums_every_fraction(module, kwargs,
                                                                     compiled):
    rng = np.random.default_rng(9)
    air = module.build_air(**kwargs)
    witness = module.honest_witness(SHAPE, rng, **kwargs)
    prep = witness.preprocessed(air)
    aux, logup_sum = build_aux_trace(air, witness.main, prep, witness.publics, CHALLENGES,
                                     SHAPE.zk_rows, rng)
    assert aux.shape == (air.n_aux_base, SHAPE.height) and aux.dtype == np.uint32
    report = check_constraints(air, witness.main, prep, witness.publics,
                               zk_rows=SHAPE.zk_rows, aux=aux, challenges=CHALLENGES,
                               aux_publics=[logup_sum],
                               public_messages=witness.public_messages, compiled=compiled)
    assert report.ok and report.aux_checked, str(report)
    expected = reference_logup_sum(air, witness.main, prep, witness.publics,
                                   [c.coeffs for c in CHALLENGES], SHAPE.real_rows)
    assert Ext(*map(int, logup_sum)) == expected


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
def test_a_changed_aux_cell_is_reported_by_its_logup_constraint(compiled):
    rng = np.random.default_rng(16)
    air = lookup.build_air()
    witness = lookup.honest_witness(SHAPE, rng)
    prep = witness.preprocessed(air)
    aux, logup_sum = build_aux_trace(air, witness.main, prep, witness.publics, CHALLENGES,
                                     SHAPE.zk_rows, rng)
    row = 40
    # h_0 at one row: its definition fails there, and the running sum's step into it.
    aux[0, row] = (int(aux[0, row]) + 1) % P
    report = check_constraints(air, witness.main, prep, witness.publics,
                               zk_rows=SHAPE.zk_rows, aux=aux, challenges=CHALLENGES,
                               aux_publics=[logup_sum], compiled=compiled)
    assert [(f.constraint, f.row, f.count) for f in report.failures] == [
        ("logup.phi_step", row - 1, 1), ("logup.h0", row, 1)]


@pytest.mark.parametrize("module, kwargs", EXAMPLES[1:], ids=EXAMPLE_IDS[1:])
def test_balanced_buses_cancel_with_the_public_messages(module, kwargs):
    rng = np.random.default_rng(10)
    air = module.build_air(**kwargs)
    witness = module.honest_witness(SHAPE, rng, **kwargs)
    _, logup_sum = build_aux_trace(air, witness.main, witness.preprocessed(air),
                                   witness.publics, CHALLENGES, SHAPE.zk_rows, rng)
    public = public_interaction_sum(air, witness.public_messages, CHALLENGES)
    assert Ext(*map(int, logup_sum)) + public == 0


def test_a_changed_journal_leaves_the_bus_unbalanced():
    rng = np.random.default_rng(11)
    air = journal.build_air()
    witness = journal.honest_witness(SHAPE, rng)
    _, logup_sum = build_aux_trace(air, witness.main, witness.preprocessed(air),
                                   witness.publics, CHALLENGES, SHAPE.zk_rows, rng)
    claimed = journal.with_changed_journal(witness, index=3)
    public = public_interaction_sum(air, claimed.public_messages, CHALLENGES)
    assert Ext(*map(int, logup_sum)) + public != 0


def test_a_tampered_lookup_leaves_the_bus_unbalanced():
    rng = np.random.default_rng(12)
    air = lookup.build_air()
    witness = lookup.tampered_witness(SHAPE, rng).witness
    _, logup_sum = build_aux_trace(air, witness.main, witness.preprocessed(air),
                                   witness.publics, CHALLENGES, SHAPE.zk_rows, rng)
    assert Ext(*map(int, logup_sum)) != 0


def test_public_interaction_sum_matches_a_fraction_by_fraction_sum():
    air = journal.build_air()
    messages = [journal.journal_messages(np.arange(40) * 7 % 256),
                PublicMessages.sends("journal", [[1, 2], [3, 4]], count=3)]
    expected = reference_public_sum(air, messages, [c.coeffs for c in CHALLENGES])
    assert public_interaction_sum(air, messages, CHALLENGES) == expected


def test_public_messages_on_an_unknown_bus_or_of_the_wrong_width_are_refused():
    air = journal.build_air()
    for bad in (PublicMessages.sends("nope", [[1, 2]]), PublicMessages.sends("journal", [[1]]),
                PublicMessages.sends("journal", [[1, P]])):
        with pytest.raises(ValueError):
            public_interaction_sum(air, [bad], CHALLENGES)


def test_random_rows_differ_between_runs_and_real_rows_do_not():
    air = lookup.build_air()
    witness = lookup.honest_witness(SHAPE, np.random.default_rng(13))
    prep = witness.preprocessed(air)
    runs = [build_aux_trace(air, witness.main, prep, witness.publics, CHALLENGES,
                            SHAPE.zk_rows, np.random.default_rng(seed)) for seed in (1, 2)]
    real = SHAPE.real_rows
    assert np.array_equal(runs[0][0][:, :real], runs[1][0][:, :real])
    assert np.array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0][:, real:], runs[1][0][:, real:])


def test_a_zero_denominator_is_reported_with_its_row():
    air = _air_with(lambda b, x: b.send("bus", [x[0]]))
    main = np.zeros((4, 16), dtype=np.uint32)
    # d = gamma + 1 + beta·x vanishes for gamma = -1 - beta·x: put that x at row 5.
    gamma, beta = Ext(P - 1 - 3 * 7, 0, 0, 0), Ext(7, 0, 0, 0)
    main[0, 5] = 3
    with pytest.raises(ValueError, match="row 5"):
        build_aux_trace(air, main, None, [], [gamma, beta], 4, np.random.default_rng(0))


def test_total_interactions_counts_rows_and_public_messages():
    air = journal.build_air()
    messages = [PublicMessages.receives("journal", [[0, 1], [1, 2]], count=2)]
    assert total_interactions(air, 1 << 10, messages) == 2 * (1 << 10) + 4
