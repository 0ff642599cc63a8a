"""What the window says when a task ends: a failure's words, a proof's summary line, the
``executeFinished`` payload, what an unpinned verdict adds.

Qt-free; ``workbench.views.outcomes`` puts these in the panels and the signals.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Cancelled, GuestFault, ZkwbError
from workbench.model.formatting import describe_size
from workbench.model.tasks import ExecutionOutcome, ProofOutcome
from workbench.model.verdict import NOT_COMPARED, UNPINNED, VerifySummary, describe_image

CANCELLED, GUEST_FAULT, REFUSED, ERROR = "Cancelled", "Guest fault", "Refused", "Error"


@dataclass(frozen=True)
class Failure:
    """How a task's exception reads: ``outcome`` (``CANCELLED``, ``GUEST_FAULT``,
    ``REFUSED`` for what the user can cause, ``ERROR`` for a bug), the ``message``
    shown, and the ``fault`` when the guest faulted (its journal, log, cycles, pc)."""
    outcome: str
    message: str
    fault: GuestFault | None = None

    @property
    def cancelled(self) -> bool:
        return self.outcome == CANCELLED

    @property
    def unexpected(self) -> bool:
        """Whether it is a bug, not something the user caused (its traceback matters)."""
        return self.outcome == ERROR


def failure_of(error: BaseException) -> Failure:
    """The ``Failure`` of a task that raised ``error``."""
    if isinstance(error, Cancelled):
        return Failure(CANCELLED, "Cancelled")
    if isinstance(error, GuestFault):
        return Failure(GUEST_FAULT, str(error), error)
    if isinstance(error, ZkwbError):
        return Failure(REFUSED, str(error))
    return Failure(ERROR, f"Unexpected error: {type(error).__name__}: {error}")


def execution_report(outcome: ExecutionOutcome, image_id_hex: str) -> dict:
    """The ``executeFinished`` payload (docs/workbench.md, "Automation contract")."""
    result = outcome.result
    return {"exit_code": result.exit_code, "cycles": result.cycles,
            "journal": result.journal, "journal_hex": result.journal.hex(),
            "log": result.log, "image_id": image_id_hex,
            "seconds": result.seconds, "mhz": result.mhz,
            "trace_rows": outcome.trace.rows if outcome.trace else 0}


def proof_summary(outcome: ProofOutcome) -> str:
    """One line about a proof: cycles, trace rows, time, speed, security, receipt size."""
    proved = outcome.result
    return (f"{proved.execution.cycles:,} cycles in a {proved.trace_rows:,}-row trace · "
            f"{proved.seconds:.1f} s ({proved.khz:.1f} kHz) · "
            f"{proved.receipt.security_bits:.0f} bits · receipt "
            f"{describe_size(outcome.receipt_bytes)}")


def unpinned_note(summary: VerifySummary) -> str:
    """What a valid but unpinned verdict adds where the claim is shown: whose proof it
    is, and that it was not compared ("" for every other verdict)."""
    if summary.verdict().state != UNPINNED:
        return ""
    return (f" It is a proof of {describe_image(summary.image_id_hex, summary.program_name)}, "
            f"{NOT_COMPARED}.")
