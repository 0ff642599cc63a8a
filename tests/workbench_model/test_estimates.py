"""A phase without a fraction of its own is shown as the part of its time in the last
proof of the same height that has passed; the time left is what the phases to come
took then."""
from __future__ import annotations

import pytest

from workbench.model.estimates import CAP, PhaseClock


def _proof(clock: PhaseClock, height: int, phases, start: float = 0.0) -> float:
    clock.begin_proof()
    clock.height_known(height)
    now = start
    for phase, seconds in phases:
        clock.phase_started(phase, now)
        now += seconds
        clock.phase_finished(phase, seconds)
    clock.proof_finished()
    return now


def test_the_first_proof_of_a_height_has_no_estimate_the_next_has():
    clock = PhaseClock()
    clock.begin_proof()
    clock.height_known(1 << 15)
    clock.phase_started("witness", 0.0)
    assert clock.fraction(1.0) is None and clock.seconds_left(1.0) is None
    clock.phase_finished("witness", 2.0)
    clock.phase_started("commit main", 2.0)
    clock.phase_finished("commit main", 4.0)
    clock.proof_finished()

    clock.begin_proof()
    clock.height_known(1 << 15)
    clock.phase_started("witness", 10.0)
    assert clock.fraction(11.0) == pytest.approx(0.5)
    assert clock.seconds_left(11.0) == pytest.approx(5.0)     # 1 s of witness, 4 of commit
    assert clock.fraction(30.0) == CAP                        # late: never past 95 %
    clock.phase_finished("witness", 2.0)
    clock.phase_started("commit main", 12.0)
    assert clock.seconds_left(13.0) == pytest.approx(3.0)
    clock.progress_reported()                                 # the engine's own fraction
    assert clock.fraction(13.0) is None


def test_another_height_and_compiling_give_no_estimate():
    clock = PhaseClock()
    _proof(clock, 1 << 15, [("compile prover", 100.0), ("witness", 2.0)])
    assert clock.last[1 << 15] == {"witness": 2.0}
    clock.begin_proof()
    clock.height_known(1 << 16)
    clock.phase_started("witness", 0.0)
    assert clock.fraction(1.0) is None and clock.seconds_left(1.0) is None
