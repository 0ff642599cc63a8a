"""How far along a proof's phase is, and how long the proof has left, from the last
proof of the same trace height on this machine.

The STARK prover's phases report their own fraction done (``engine.events.Progress``;
``workbench.model.phases.REPORTS_FRACTION`` names them) and the bar shows that; the
others (executing, stage 0, the witness, the check of the receipt) report none, so
their bar would only say "busy". ``PhaseClock`` remembers how long each phase of the
last proof of each height took; in a later proof of that height a phase without its
own fraction is shown as the part of its expected time that has passed (never past
95 %: an estimate is not a promise), and the time left of every proof is the expected
time of the phases still to come, less what the current one has already taken.
"""
from __future__ import annotations

#: An estimated phase never shows more than this fraction done.
CAP = 0.95


class PhaseClock:
    """Fed a proof's phases as they start and end (with the time, in seconds, of a
    monotonic clock); gives the current phase's estimated fraction and the time left."""

    def __init__(self) -> None:
        #: ``{height: {phase: seconds}}`` of the last finished proof of each height.
        self.last: dict[int, dict[str, float]] = {}
        self.begin_proof()

    def begin_proof(self) -> None:
        """A new proof starts: its height is not known yet."""
        self.height: int | None = None
        self.current: dict[str, float] = {}
        self.phase = ""
        self._started_at = 0.0
        self.reported = False

    def height_known(self, height: int) -> None:
        self.height = int(height)

    def phase_started(self, phase: str, now: float) -> None:
        self.phase, self._started_at, self.reported = phase, now, False

    def progress_reported(self) -> None:
        """The engine reports this phase's fraction itself: no estimate is needed."""
        self.reported = True

    def phase_finished(self, phase: str, seconds: float) -> None:
        # Compiling happens once a process: no estimate for the next proof.
        if not phase.startswith("compile"):
            self.current[phase] = self.current.get(phase, 0.0) + float(seconds)
        if phase == self.phase:
            self.phase = ""

    def proof_finished(self) -> None:
        """The proof ended well: its phases are the estimate for the next of its height."""
        if self.height is not None and self.current:
            self.last[self.height] = dict(self.current)

    def _expected(self) -> dict[str, float]:
        return self.last.get(self.height, {}) if self.height is not None else {}

    def fraction(self, now: float) -> float | None:
        """The current phase's estimated fraction done (None: no estimate, or the
        engine reports the phase's own)."""
        expected = self._expected().get(self.phase)
        if not self.phase or self.reported or not expected:
            return None
        return min(CAP, max(0.0, (now - self._started_at) / expected))

    def seconds_left(self, now: float) -> float | None:
        """The expected time of the phases not finished yet, less what the current one
        has taken (None without an estimate of this height)."""
        expected = self._expected()
        if not expected:
            return None
        left = sum(seconds for phase, seconds in expected.items()
                   if phase not in self.current)
        if self.phase and self.phase not in self.current:
            left -= min(now - self._started_at, expected.get(self.phase, 0.0))
        return max(0.0, left)
