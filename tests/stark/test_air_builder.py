"""Declaring AIRs: names, groups, degrees, buses and their errors."""
import numpy as np
import pytest

from engine.field.babybear import P
from engine.stark.air import (
    EVERY,
    FIRST,
    LAST,
    TRANSITION,
    AirBuilder,
    Selector,
    TraceShape,
)


def test_columns_groups_and_publics_are_named_and_numbered_in_order():
    b = AirBuilder("t")
    a = b.main("a")
    cpu = b.main_group("cpu", ["pc", "next_pc"])
    t = b.preprocessed_group("table", ["x", "y"], compute=lambda s, d: np.zeros((2, s.height)))
    b.public("exit_code")
    b.constrain("pc_step", cpu.pc.next - cpu.next_pc, when=TRANSITION)
    air = b.build()
    assert air.main_names == ("a", "cpu.pc", "cpu.next_pc")
    assert air.main_groups == {"cpu": (1, 2)}
    assert air.prep_names == ("table.x", "table.y")
    assert air.col("cpu.next_pc") is cpu.next_pc and air.col("table.y") is t.y
    assert air.col("a") is a and cpu["pc"] is cpu.pc and list(cpu) == [cpu.pc, cpu.next_pc]
    assert air.public("exit_code").data == (0, "exit_code")
    assert air.constraint("pc_step").when is Selector.TRANSITION
    assert "3 main" in air.describe()


def test_scopes_prefix_constraint_and_interaction_names():
    b = AirBuilder("t")
    x = b.main("x")
    with b.scope("cpu"), b.scope("alu"):
        b.constrain("bool", x * (x - 1))
        b.send("bus", [x])
    air = b.build()
    assert air.constraints[0].name == "cpu.alu.bool"
    assert air.interactions[0].name == "cpu.alu.bus.send0"


@pytest.mark.parametrize("declare, message", [
    (lambda b, x: (b.main("x")), "declared twice"),
    (lambda b, x: (b.public("x")), "declared twice"),
    (lambda b, x: (b.constrain("c", x), b.constrain("c", x)), "declared twice"),
    (lambda b, x: b.constrain("c", x - x), "constant"),
    (lambda b, x: b.constrain("c", x.next - x, when=LAST), "TRANSITION"),
    (lambda b, x: b.constrain("c", x.next - x, when=EVERY), "TRANSITION"),
    (lambda b, x: (b.send("bus", [x]), b.send("bus", [x, x])), "carries 1"),
    (lambda b, x: b.send("bus", [x.next]), "next row"),
])
def test_declaration_mistakes_raise_value_error_naming_the_item(declare, message):
    b = AirBuilder("t")
    x = b.main("x")
    with pytest.raises(ValueError, match=message):
        declare(b, x)


def test_interactions_of_an_exclusive_group_need_flags_and_groups_do_not_nest():
    b = AirBuilder("t")
    x = b.main("x")
    with b.exclusive("g"):
        with pytest.raises(ValueError, match="needs a flag"):
            b.send("bus", [x])
        with pytest.raises(ValueError, match="do not nest"), b.exclusive("h"):
            pass


def test_constraint_above_the_maximum_degree_is_refused_at_build():
    b = AirBuilder("t")
    x = b.main("x")
    b.constrain("quartic", x ** 4 - 1)
    with pytest.raises(ValueError, match="'quartic' has degree 4"):
        b.build()
    assert b.build(max_degree=4).degree == 4


def test_publics_vector_orders_values_and_checks_names_and_range():
    b = AirBuilder("t")
    b.constrain("c", b.main("x") - b.public("a") - b.public("b"), when=FIRST)
    air = b.build()
    assert air.publics_vector({"b": 2, "a": 1}).tolist() == [1, 2]
    with pytest.raises(KeyError):
        air.publics_vector({"a": 1})
    with pytest.raises(KeyError):
        air.publics_vector({"a": 1, "b": 2, "c": 3})
    with pytest.raises(ValueError):
        air.publics_vector({"a": 1, "b": P})


def test_compute_preprocessed_checks_shape_and_range():
    shape = TraceShape(8, 2)
    for bad in (np.zeros((2, 8)), np.full(8, P), np.zeros(4)):
        b = AirBuilder("t")
        b.constrain("c", b.main("x") - b.preprocessed("t", compute=lambda s, d, v=bad: v))
        with pytest.raises(ValueError, match="preprocessed"):
            b.build().compute_preprocessed(shape)
    b = AirBuilder("t")
    b.constrain("c", b.main("x") - b.preprocessed("t", compute=lambda s, d: np.arange(s.height)))
    assert b.build().compute_preprocessed(shape).tolist() == [list(range(8))]


def test_trace_shape_needs_a_power_of_two_and_two_real_rows():
    assert TraceShape(16, 4).real_rows == 12 and TraceShape(16, 4).log_height == 4
    for height, zk in ((12, 0), (1, 0), (16, 15), (16, -1)):
        with pytest.raises(ValueError):
            TraceShape(height, zk)


def test_interaction_count_is_rows_times_interactions():
    b = AirBuilder("t")
    x = b.main("x")
    b.send("bus", [x])
    b.receive("bus", [x])
    assert b.build().interaction_count(1 << 20) == 2 << 20


def test_carried_transitions_also_hold_from_the_last_row_into_the_state():
    from engine.stark.check_constraints import check_constraints

    b = AirBuilder("t")
    s = b.stage0_group("st", ("x",))
    x = b.main("x")
    gate = b.public("gate")
    with b.carried({"x": s.x}, gate):
        b.constrain("step", x.next - x - 1, when=TRANSITION)
    air = b.build()
    twin = air.constraint("step@last")
    assert twin.when == LAST and twin.degree == 1
    shape = TraceShape(16, 2)
    main = np.zeros((2, 16), dtype=np.uint32)
    main[1, :14] = np.arange(14)
    for state, gate_value, ok in ((14, 1, True), (15, 1, False), (15, 0, True)):
        main[0, 13] = state
        report = check_constraints(air, main, publics=np.array([gate_value], dtype=np.uint32),
                                   zk_rows=shape.zk_rows, compiled=False)
        assert report.ok is ok, state


def test_carried_transitions_must_name_every_next_row_column():
    b = AirBuilder("t")
    x, y = b.main("x"), b.main("y")
    with pytest.raises(ValueError, match="y' at the next row"), b.carried({"x": x}, 1):
        b.constrain("step", x.next + y.next - x, when=TRANSITION)
