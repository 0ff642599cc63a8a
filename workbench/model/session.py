"""What the window is working on: the program, the one receipts are compared with, and
the last execution and proof.

A plain object, so what opening a program forgets, which image a receipt must be for
and what can be exported are decided, and tested, without Qt. ``MainWindow`` holds one
(``window.session``) and shows it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from workbench.model.screen import EXECUTE, PROVE, VERIFY, Task
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
    program: its receipt names its program, so it can still be saved.

    ``task`` is the last task started on the loaded program (None since it was
    opened), ``queries_task`` the proof or verification whose layers and queries the
    Queries tab may show, ``verdict`` the last receipt check's ``VerifySummary`` (or
    ``verify_failure``, why the last one could not be made). What the panels show is
    derived from these (``workbench.model.screen.screen_of``); each task start
    replaces what that task replaces (``begin``)."""

    program: object | None = None
    expected_program: object | None = None
    last_outcome: ExecutionOutcome | None = None
    last_proof: ProofOutcome | None = None
    task: Task | None = None
    queries_task: Task | None = None
    verdict: object | None = None
    verify_failure: str = ""
    _serial: int = field(default=0, repr=False)

    def open(self, program, expected: bool = True) -> None:
        """``program`` is loaded; with ``expected`` it is also the expected program (else
        there is none). What was shown of the last program is forgotten: its execution,
        its tasks, its queries and the verdict (it was compared with the last expected
        program)."""
        self.program = program
        self.expected_program = program if expected else None
        self.last_outcome = None
        self.task = self.queries_task = None
        self.verdict, self.verify_failure = None, ""

    def begin(self, kind: str, subject: str) -> Task:
        """A task of ``kind`` on ``subject`` starts; it replaces what it redoes: an
        execution or a proof the last run (and a proof the verdict: a new receipt
        comes), a proof or a verification the Queries tab, a verification the verdict.
        An execution keeps the Queries tab only when it shows a finished proof or
        check."""
        self._serial += 1
        task = Task(kind, subject, self._serial)
        self.task = task
        if kind in (PROVE, VERIFY):
            self.queries_task = task
            self.verdict, self.verify_failure = None, ""
        elif kind == EXECUTE and self.queries_task is not None \
                and self.queries_task.state != "done":
            self.queries_task = None
        if kind in (EXECUTE, PROVE):
            self.last_outcome = None
        return task

    def end(self, state: str) -> None:
        """The task running ended (``DONE``, ``FAILED``, ``CANCELLED``)."""
        if self.task is None:
            return
        ended = self.task.ended(state)
        if self.queries_task is not None and self.queries_task.serial == ended.serial:
            self.queries_task = ended
        self.task = ended

    def checked(self, summary) -> None:
        """A receipt check ended with ``summary`` (a ``VerifySummary``)."""
        self.verdict, self.verify_failure = summary, ""

    def check_failed(self, message: str) -> None:
        """A receipt could not be checked: ``message`` says why."""
        self.verdict, self.verify_failure = None, message

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
