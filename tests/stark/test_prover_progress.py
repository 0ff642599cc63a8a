"""Every phase of a STARK proof reports its own fraction done (engine.events.Progress),
from the chunks of work its kernels do: rising, in [0, 1], ending at (or near) 1, and
only while the phase runs. Reporting in chunks changes no byte of the proof."""
from __future__ import annotations

import numpy as np

from engine.events import PhaseFinished, PhaseStarted, Progress
from engine.hash import merkle
from engine.stark import ProofParams, encode_proof, prove, trace_shape, verify
from engine.stark import prover as stark_prover
from engine.stark.examples import lookup

#: The phases of a STARK proof, each of which must report fractions of its own.
STARK_PHASES = ("check", "preprocessed", "commit main", "logup", "quotient", "open", "fri")


def fractions_by_phase(events: list) -> dict[str, list[float]]:
    """Each phase's reported fractions, in order; asserts that every Progress arrives
    while its phase runs (between its PhaseStarted and PhaseFinished)."""
    running: str | None = None
    seen: dict[str, list[float]] = {}
    for event in events:
        if isinstance(event, PhaseStarted):
            running = event.phase
        elif isinstance(event, PhaseFinished):
            running = None
        elif isinstance(event, Progress):
            assert event.phase == running, f"{event} outside its phase ({running})"
            seen.setdefault(event.phase, []).append(event.fraction)
    return seen


def assert_reported(seen: dict[str, list[float]], phases) -> None:
    for phase in phases:
        fractions = seen.get(phase)
        assert fractions, f"phase {phase!r} reported no fraction"
        assert fractions == sorted(fractions), f"{phase}: {fractions} go back"
        assert all(0.0 <= f <= 1.0 for f in fractions), f"{phase}: {fractions}"
        assert fractions[-1] >= 0.9, f"{phase} ends at {fractions[-1]}"


def _lookup_proof(on_event=None, seed: int = 4):
    shape = trace_shape(1 << 12, ProofParams())
    air = lookup.build_air()
    witness = lookup.honest_witness(shape, np.random.default_rng(seed))
    inputs = {"public_values": witness.publics, "public_data": witness.public_data,
              "public_messages": witness.public_messages}
    proof = prove(air, witness.main, **inputs, rng=np.random.default_rng(seed),
                  on_event=on_event)
    return air, inputs, proof


def test_each_phase_of_a_stark_proof_reports_rising_fractions():
    events: list = []
    _lookup_proof(events.append)
    assert_reported(fractions_by_phase(events), STARK_PHASES)


def test_small_chunks_report_many_fractions_and_change_no_byte(monkeypatch):
    """Columns extended one at a time and trees hashed in rounds of a few leaves: many
    fractions per phase, the same proof bytes as in the shipped chunks (same seed)."""
    _, _, reference = _lookup_proof()
    monkeypatch.setattr(stark_prover, "_LDE_POINTS_PER_BATCH", 1)
    monkeypatch.setattr(merkle, "_ROUND_WORDS", 1 << 10)
    events: list = []
    air, inputs, proof = _lookup_proof(events.append)
    seen = fractions_by_phase(events)
    assert_reported(seen, STARK_PHASES)
    assert len(seen["commit main"]) >= 1 + 4 and len(seen["logup"]) >= 4
    assert encode_proof(proof) == encode_proof(reference)
    assert verify(air, proof, **inputs).valid


def test_a_guest_proof_reports_every_stark_phase():
    """A real RV32IM proof (the machine AIR: fixed tables, stage-0 columns, global
    buses), with the row checker on."""
    import engine
    from engine.runtime.resources import guest_path
    events: list = []
    engine.prove(engine.load_elf(guest_path("fibonacci")), b"10", row_check=True,
                 on_event=events.append)
    assert_reported(fractions_by_phase(events), STARK_PHASES)
