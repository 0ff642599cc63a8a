"""The machine AIR's segment regions: the carried transitions, the state, the boundary
table and the final memory, each rejected when a dishonest witness breaks it
(docs/continuations.md). Witnesses here are checked row by row; the proofs of
dishonest segment sets are in tests/segments/test_dishonest_segments.py."""
from __future__ import annotations

import functools
import random

import numpy as np
import pytest

from engine.circuit.boundary import STATE_COPIES
from engine.circuit.columns import FLAGS, INSTRUCTION_FLAGS, ST_COLUMNS
from engine.circuit.machine import build_air
from engine.field.babybear import P
from engine.field.scalar import Fp
from engine.stark import symbolic
from engine.stark.air import LAST, TRANSITION
from tests.circuit.support import Edit, failed_constraints, guest_witness, unbalanced_buses
from tests.segments.support import segment_witnesses


def _carried_pairs():
    air = build_air()
    twins = {c.name[:-len("@last")]: c for c in air.constraints if c.name.endswith("@last")}
    return air, [(c, twins[c.name]) for c in air.constraints if c.name in twins]


def test_every_cpu_and_syscall_transition_has_a_twin_on_the_last_row():
    air, pairs = _carried_pairs()
    transitions = {c.name for c in air.constraints if c.when == TRANSITION
                   and c.name.split(".")[0] in ("cpu", "sys")}
    assert transitions and transitions == {c.name for c, _ in pairs}
    assert all(t.when == LAST and t.degree <= 3 for _, t in pairs)


@pytest.mark.parametrize("seed", range(6))
def test_twins_equal_their_constraints_when_the_state_is_the_next_row(seed):
    """On random rows (any values, one flag or none on the next row), each twin with
    st set from the next row equals its constraint read across the two rows."""
    air, pairs = _carried_pairs()
    rng = random.Random(seed)
    index = {name: k for k, name in enumerate(air.main_names)}
    for trial in range(20):
        current = [rng.randrange(P) for _ in air.main_names]
        following = [rng.randrange(P) for _ in air.main_names]
        flag = rng.choice((None,) + FLAGS)
        for f in FLAGS:
            following[index[f"op.{f}"]] = int(f == flag)
        prep = [rng.randrange(P) for _ in range(air.n_prep)]
        publics = [rng.randrange(P) for _ in air.public_names]
        publics[air.public_index("is_last")] = 0
        state = list(current)
        for name, column in STATE_COPIES.items():
            state[index[f"st.{name}"]] = following[index[column]]
        state[index["st.instr"]] = int(flag in INSTRUCTION_FLAGS)

        def leaf(node, now, after, prep=prep, publics=publics):
            kind, data = node.op, node.data
            if kind == "main":
                return Fp((after if data[1] else now)[data[0]])
            if kind == "prep":
                return Fp(prep[data[0]])
            return Fp(publics[data[0]])

        for constraint, twin in pairs:
            [expected] = symbolic.evaluate([constraint.expr],
                                           lambda n, c=current, f=following: leaf(n, c, f))
            [got] = symbolic.evaluate([twin.expr], lambda n, s=state: leaf(n, s, None))
            assert got == expected, (constraint.name, flag, trial)


@functools.cache
def _segments():
    """sha256 over segments of 2^10 rows: reads and writes cross boundaries."""
    from engine.vm import load_elf
    from tests.circuit.support import GUESTS

    _, witnesses = segment_witnesses(load_elf(f"{GUESTS}/sha256.elf"), b"abc" * 60,
                                     log_height=10)
    assert len(witnesses) >= 3
    return witnesses


def _edit(k: int) -> Edit:
    return Edit(_segments()[k])


def test_honest_segments_check():
    for witness in _segments():
        assert witness.check().ok


def _failures_after_bump(k: int, column: str, row: int, by: int) -> set[str]:
    """The constraints segment ``k`` fails once ``column`` on ``row`` (-1: the last real
    row) is moved by ``by``."""
    edit = _edit(k)
    row = edit.witness.shape.real_rows - 1 if row == -1 else row
    edit[(column, row)] = edit[(column, row)] + by
    return failed_constraints(edit.check())


def test_a_state_not_matching_the_first_row_is_rejected():
    assert "state.jpos" in _failures_after_bump(1, "st.jpos", 0, 1)


def test_a_last_row_not_stepping_into_the_state_is_rejected():
    assert "cpu.pc_step@last" in _failures_after_bump(0, "st.pc", -1, 4)


def test_segment_zero_must_start_at_the_entry_and_later_ones_need_not():
    edit = _edit(0)
    edit.publics["entry"] = edit.publics["entry"] + 4
    assert "cpu.entry_pc" in failed_constraints(edit.check())
    edit = _edit(1)
    edit.publics["entry"] = edit.publics["entry"] + 4
    assert edit.check().ok


def test_a_boundary_word_from_a_later_segment_is_rejected():
    edit = _edit(1)
    row = 0
    edit[("bt.t_in", row)] = edit.witness.publics["segment"] + 1
    assert "bt.t_in_not_later" in failed_constraints(edit.check())


def test_a_boundary_word_read_as_another_value_is_rejected():
    edit = _edit(1)
    edit[("bt.in_lo", 3)] = edit[("bt.in_lo", 3)] ^ 1
    assert "memory" in unbalanced_buses(edit.check())


def test_the_last_segment_must_halt():
    edit = _edit(0)
    edit.publics["is_last"] = 1
    assert "cpu.halts" in failed_constraints(edit.check())


def test_final_memory_addresses_must_increase_as_integers():
    """A final-memory row whose address goes back (by wrapping the field, or plainly)."""
    witness = guest_witness("fibonacci")
    real = witness.shape.real_rows
    edit = Edit(witness)
    count = int(np.count_nonzero(edit.main[edit.index["ft.real"], :real]))
    row = count - 1
    back = edit[("ft.addr", row - 1)]                   # the previous row's address again
    edit[("ft.addr", row)] = back
    assert "ft.address_in_memory" in failed_constraints(edit.check())
    gap = (back - edit[("fx.prev", row)] - 1) % P       # = -1: no byte decomposition
    assert gap == P - 1
    for k, name in enumerate(("a0", "a1", "a2")):
        edit[(f"fx.{name}", row)] = (back >> (8 * k)) & 0xFF
    edit[("fx.aa", row)], edit[("fx.ab", row)] = (back >> 24) & 1, (back >> 25) & 1
    assert "ft.addresses_increase" in failed_constraints(edit.check())


def test_final_memory_addresses_stay_in_guest_memory():
    witness = guest_witness("fibonacci")
    edit = Edit(witness)
    real = witness.shape.real_rows
    row = int(np.count_nonzero(edit.main[edit.index["ft.real"], :real])) - 1
    edit[("fx.aa", row)], edit[("fx.ab", row)] = 1, 1
    assert "ft.address_below_end" in failed_constraints(edit.check())


def test_the_link_to_the_next_segment_is_the_last_address():
    assert "ft.link_out" in _failures_after_bump(0, "st.link", -1, 1)


def test_a_later_segment_continues_after_the_link():
    assert "ft.prev_first" in _failures_after_bump(1, "st.link", 0, 1)


def test_segment_zero_keeps_its_registers_first():
    edit = Edit(guest_witness("fibonacci"))
    edit[("ft.addr", 5)] = 6
    assert "ft.registers_first" in failed_constraints(edit.check())


def test_state_columns_follow_st_layout():
    air = build_air()
    assert list(air.main_names[:len(ST_COLUMNS)]) == [f"st.{c}" for c in ST_COLUMNS]
