"""What the window shows of its session, decided in one place.

The panels that outlive a task (the Queries tab, the Verification panel, the
Execution panel, the progress line, the Digits tab) used to be updated by a trail of
calls at each task's start and end, and every forgotten call left a stale panel: a
Queries tab still saying "Verifying…" after a junk receipt, "Proving…" after a
cancelled proof, another program's verdict, the Digits tab for ``sha256.elf``. Now the
``Session`` records the tasks (``Task``: what ran, on what, how it ended) and what they
left (the last verdict), and ``screen_of`` derives from it what each of those panels
says. The window applies it after every transition (``workbench.views.session_view``),
so a panel can only show what the session holds.

One message per event: a task's outcome is told once, where it belongs (the verdict in
the Verification panel, an execution in the Execution panel, a failure in the
banner); the progress line only says which task ended and how (``end_line``), and the
status bar carries hints, never a copy of either.
"""
from __future__ import annotations

from dataclasses import dataclass

EXECUTE, PROVE, VERIFY, EXPORT = "execute", "prove", "verify", "export"
RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"

READY = "Ready"

#: The bundled guests whose journal is a digit classifier's claim (the Digits tab).
DIGIT_GUESTS = ("digits_mlp.elf", "digits_forest.elf")

VERIFY_HINT = ("Drop a receipt (.zkr) anywhere on the window, or use File → Verify "
               "receipt…, to check it here.")

QUERIES_HINT = (
    "<h3>Query sampling</h3>"
    "<p>While a proof is made, this shows the <b>low-degree extension domain</b> "
    "(the trace's columns evaluated on 4 × as many points), the <b>query positions</b> "
    "drawn at random from the proof itself, and the <b>FRI layers</b> halving as they "
    "fold.</p>"
    "<p>When a receipt is verified, each query is marked <b>✔ passed</b> (green dot) or "
    "<b>✘ failed</b> (red cross) as it is checked.</p>"
    "<p><i>Press Prove (Ctrl+P), or drop a receipt (.zkr) on the window.</i></p>")

_NOUNS = {EXECUTE: "Execution", PROVE: "Proof", VERIFY: "Verification", EXPORT: "Export"}


@dataclass(frozen=True)
class Task:
    """One task the window ran: its ``kind`` (``EXECUTE``...), its ``subject`` (the
    program's name, or the receipt's file name), its ``state`` (``RUNNING``, ``DONE``,
    ``FAILED``, ``CANCELLED``) and ``serial`` (each task's own, so that two tasks of
    the same kind and subject are told apart)."""
    kind: str
    subject: str
    serial: int
    state: str = RUNNING

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def ended(self, state: str) -> Task:
        return Task(self.kind, self.subject, self.serial, state)


@dataclass(frozen=True)
class Screen:
    """What the long-lived panels show for a session.

    ``progress``: the progress line when no task runs (None while one does: its
    phases speak). ``execution``: what the Execution panel's outcome says while it
    shows no run (nothing run since the program opened, or one running); None when
    it shows the last run of the loaded program or how it failed. ``queries``: the Queries tab's explanation, shown while it
    has nothing to draw; ``queries_owner``: the serial of the task whose layers and
    queries it may draw (0: none; a change clears the plot). ``verification``: the
    Verification panel's message, None when it shows a verdict. ``digits``: whether
    the Digits tab belongs in the window.
    """
    progress: str | None
    execution: str | None
    queries: str
    queries_owner: int
    verification: str | None
    digits: bool


def end_line(task: Task | None) -> str:
    """The progress line once ``task`` ended: which task, on what, and how; the
    outcome itself is in its panel (or, for a failure, the banner)."""
    if task is None:
        return READY
    noun = _NOUNS.get(task.kind, task.kind.capitalize())
    how = {DONE: "finished", FAILED: "failed", CANCELLED: "cancelled",
           RUNNING: "running"}[task.state]
    where = {EXECUTE: " (see Execution)", PROVE: " (see Proof)",
             VERIFY: " (see Verification)"}.get(task.kind, "") if task.state == DONE else ""
    return f"{noun} of {task.subject} {how}{where}"


def queries_message(task: Task | None) -> str:
    """What the Queries tab says while it has nothing to draw, for the prove or verify
    ``task`` it belongs to (None: the explanation of the tab)."""
    if task is None:
        return QUERIES_HINT
    if task.kind == PROVE:
        return {RUNNING: "Proving… the LDE domain and the FRI layers appear here as soon as "
                         "the trace's height is known.",
                CANCELLED: f"The proof of {task.subject} was cancelled before its queries "
                           "were drawn. Press Prove (Ctrl+P) to start again.",
                FAILED: f"The proof of {task.subject} failed before its queries were drawn "
                        "(the banner says why).",
                DONE: f"The proof of {task.subject} reported no queries."}[task.state]
    return {RUNNING: f"Verifying {task.subject}… each query is marked as it is checked.",
            CANCELLED: f"The check of {task.subject} was cancelled.",
            FAILED: f"{task.subject} could not be checked (the banner says why).",
            DONE: f"Nothing to draw: {task.subject} was rejected before any query was "
                  "checked (the Verification panel says why)."}[task.state]


def screen_of(session) -> Screen:
    """What the panels show for ``session`` (a ``workbench.model.session.Session``)."""
    task = session.task
    running = task is not None and task.running
    if running and task.kind == EXECUTE:
        execution = "Running…"
    elif running and task.kind == PROVE:
        execution = "Proving…"
    elif task is None and session.last_outcome is None:
        execution = "–"
    else:
        execution = None
    queries_task = session.queries_task
    if running and task.kind == VERIFY:
        verification = f"Verifying {task.subject}…"
    elif session.verdict is not None:
        verification = None
    elif session.verify_failure:
        verification = session.verify_failure
    else:
        verification = VERIFY_HINT
    return Screen(progress=None if running else end_line(task), execution=execution,
                  queries=queries_message(queries_task),
                  queries_owner=queries_task.serial if queries_task is not None else 0,
                  verification=verification, digits=shows_digits(session))


def shows_digits(session) -> bool:
    """Whether the Digits tab belongs: a digit classifier is loaded, or the last run
    or the verdict shown carries a digit classifier's claim."""
    program = session.program
    if program is not None and program.name in DIGIT_GUESTS:
        return True
    journals = []
    if session.last_outcome is not None:
        journals.append(session.last_outcome.result.journal)
    if session.verdict is not None and session.verdict.verdict().proven:
        journals.append(session.verdict.journal)
    return any(is_digit_claim(journal) for journal in journals)


def is_digit_claim(journal: bytes) -> bool:
    from engine.codec import DecodeError
    from engine.ml import decode_journal
    try:
        decode_journal(bytes(journal))
    except DecodeError:
        return False
    return True
