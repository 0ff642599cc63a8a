"""What the window is working on: the program, the one receipts are compared with, and
the last execution and proof.

A plain object, so what opening a program forgets, which image a receipt must be for
and what can be exported are decided, and tested, without Qt. ``MainWindow`` holds one
(``window.session``) and shows it.
"""
from __future__ import annotations

from dataclasses import dataclass

from workbench.model.tasks import TRACE_ROW_LIMIT, ExecutionOutcome, ProofOutcome

NO_PROGRAM = "Open a guest program first (File → Open program…)."
NO_TRACE = ("There is no trace to export: execute the program first (runs up to "
            f"{TRACE_ROW_LIMIT:,} cycles record one).")
NO_RECEIPT = "There is no receipt to save yet: press Prove first."


@dataclass
class Session:
    """``program`` is the loaded ``engine.vm.Program`` (None before one is);
    ``expected_program`` the one receipts are compared with: the program the user
    chose (dialog, recent files, a drop, the command line, a sample from the menu),
    never the sample shown at start. ``last_outcome`` is the last execution of
    ``program`` (a proof's included); ``last_proof`` the last proof, of whichever
    program: its receipt names its program, so it can still be saved."""

    program: object | None = None
    expected_program: object | None = None
    last_outcome: ExecutionOutcome | None = None
    last_proof: ProofOutcome | None = None

    def open(self, program, expected: bool = True) -> None:
        """``program`` is loaded; with ``expected`` it is also the expected program (else
        there is none). The last execution was of another program: it is forgotten."""
        self.program = program
        self.expected_program = program if expected else None
        self.last_outcome = None

    def executed(self, outcome: ExecutionOutcome) -> None:
        self.last_outcome = outcome

    def proved(self, outcome: ProofOutcome) -> None:
        """A proof ended: its receipt can be saved, and its execution is the last one."""
        self.last_proof = outcome
        self.last_outcome = outcome.execution

    def expected(self) -> tuple[str, str]:
        """Name and image ID (hex) of the expected program; ``("", "")`` when none."""
        program = self.expected_program
        return (program.name, program.image_id_hex) if program is not None else ("", "")

    def expected_image_id(self, pinned_hex: str | None = None) -> bytes | None:
        """The image a receipt must be for: one pinned (hex) in the panel, else the
        expected program's; None when neither (checked against its own program)."""
        if pinned_hex:
            return bytes.fromhex(pinned_hex)
        return self.expected_program.image_id if self.expected_program is not None else None

    def trace(self):
        """The last execution's ``TraceView`` (None: nothing executed, or too long a run
        to record one)."""
        return self.last_outcome.trace if self.last_outcome is not None else None

    def run_refusal(self, input_error: str = "") -> str:
        """Why the program cannot be run on the input now ("" when it can)."""
        if self.program is None:
            return NO_PROGRAM
        if input_error:
            return f"The private input cannot be used: {input_error}"
        return ""
