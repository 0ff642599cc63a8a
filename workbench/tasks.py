"""The work behind the workbench's buttons, as plain functions (no Qt).

Each task takes ``report`` (called with progress events, from the worker thread) and
``cancel`` (an ``engine.events.CancelToken`` the engine polls between chunks) and
returns its result or raises; ``workbench.runner`` runs them in a worker thread.
Keeping them free of Qt lets tests call them directly and keeps the widgets thin.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from engine.errors import TraceLimitExceeded, ZkwbError
from engine.events import CancelToken
from engine.vm import ExecutionResult, execute

from workbench.profile import FunctionCycles, cycles_by_function
from workbench.trace_data import TraceView

# A trace is ~100 bytes per cycle: record one when the run fits in 2^22 cycles (the
# executor's default cap, ~400 MB); longer runs execute without a trace, and the plots
# say why they are empty.
TRACE_ROW_LIMIT = 1 << 22

Report = Callable[[object], None]


@dataclass(frozen=True)
class PhaseStarted:
    """A named phase began; ``label`` is what the progress bar says."""
    name: str
    label: str


@dataclass(frozen=True)
class CyclesRun:
    """The executor has run ``cycles`` cycles so far."""
    cycles: int


@dataclass(frozen=True)
class KernelsReady:
    """The first run's kernels are compiled (or loaded from Numba's cache)."""
    seconds: float


@dataclass
class ExecutionOutcome:
    """An execution with what the window shows of it.

    ``trace`` is None when the run was longer than ``TRACE_ROW_LIMIT`` cycles
    (``trace_note`` says so); ``profile`` is then empty too.
    """
    result: ExecutionResult
    trace: TraceView | None
    profile: list[FunctionCycles] = field(default_factory=list)
    trace_note: str = ""


_kernels_warm = False


def kernels_warm() -> bool:
    """Whether this process has already run (so compiled or loaded) the executor's kernels."""
    return _kernels_warm


def run_execution(program, input_data: bytes, report: Report, cancel: CancelToken,
                  trace_limit: int | None = None) -> ExecutionOutcome:
    """Execute ``program`` on ``input_data``, recording a trace when the run is short enough.

    A trace is recorded when the run takes at most ``trace_limit`` cycles (default
    ``TRACE_ROW_LIMIT``); a longer run is executed again without one.

    Phases reported: ``compile`` (first run in the process only), ``execute``,
    ``analyse`` (building the plots' data, when a trace was recorded). Raises what
    ``engine.vm.execute`` raises (``GuestFault``, ``Cancelled``, ``InputError``...).
    """
    trace_limit = TRACE_ROW_LIMIT if trace_limit is None else int(trace_limit)
    should_cancel = lambda: cancel.cancelled  # noqa: E731
    warm_up(program, report, cancel)
    report(PhaseStarted("execute", "Executing"))
    progress = lambda cycles: report(CyclesRun(cycles))  # noqa: E731
    note = ""
    try:
        result = execute(program, input_data, record_trace=True, max_trace_rows=trace_limit,
                         on_progress=progress, should_cancel=should_cancel)
    except TraceLimitExceeded:
        report(PhaseStarted("execute", "Executing (too long to record a trace)"))
        result = execute(program, input_data, on_progress=progress,
                         should_cancel=should_cancel)
        note = (f"This run took {result.cycles:,} cycles; a trace is recorded for runs up "
                f"to {trace_limit:,} cycles (2^{trace_limit.bit_length() - 1}).")
    report(CyclesRun(result.cycles))
    if result.trace is None:
        return ExecutionOutcome(result, None, [], note)
    report(PhaseStarted("analyse", "Preparing plots"))
    view = TraceView.from_trace(result.trace)
    profile = cycles_by_function(view.columns["pc"], program.symbols)
    return ExecutionOutcome(result, view, profile)


def warm_up(program, report: Report, cancel: CancelToken) -> None:
    """Compile the executor's kernels once per process, as a phase of its own.

    A one-cycle run of the program itself compiles (or loads from Numba's cache) the
    same kernel signature every later run uses, so the first real run is not mistaken
    for a hang.
    """
    global _kernels_warm
    if _kernels_warm:
        return
    report(PhaseStarted("compile", "Compiling kernels (first run only)"))
    start = time.perf_counter()
    try:
        execute(program, b"", max_cycles=1)
    except ZkwbError:
        pass  # a one-cycle run ends in the cycle limit or a fault: only compiling counted
    _kernels_warm = True
    report(KernelsReady(time.perf_counter() - start))
    cancel.raise_if_cancelled()


def run_trace_export(path: str, view: TraceView, image_id: bytes, program_name: str,
                     report: Report, cancel: CancelToken) -> str:
    """Save ``view`` as ``.npz`` at ``path`` (atomically); returns ``path``."""
    from workbench.files import save_trace_npz
    report(PhaseStarted("export", "Saving the trace"))
    save_trace_npz(path, view, image_id, program_name)
    return path


@dataclass
class ReceiptCheck:
    """What is known about a receipt file.

    ``valid`` is False with ``reason`` when the file is not a well-formed receipt,
    True or False from the verifier once ``engine.verify`` exists, and None while a
    well-formed receipt cannot be verified yet. ``receipt`` is the decoded
    ``engine.receipt.Receipt`` when the file is one.
    """
    path: str
    size: int
    valid: bool | None
    reason: str
    receipt: object | None = None
    seconds: float = 0.0


NOT_YET_VERIFYING = "receipt verification arrives with proving"


def run_receipt_check(path: str, report: Report, cancel: CancelToken) -> ReceiptCheck:
    """Read and decode the receipt at ``path`` (bounded, no code executed).

    A malformed, truncated or foreign file gives ``valid=False`` and the decoder's
    reason; an unreadable one raises ``InputError``.
    """
    from engine.fileio import read_bounded
    from engine.receipt import MAX_RECEIPT_BYTES, ReceiptError, decode_receipt
    report(PhaseStarted("read", "Reading the receipt"))
    start = time.perf_counter()
    data = read_bounded(path, MAX_RECEIPT_BYTES, "receipt")
    try:
        receipt = decode_receipt(data)
    except ReceiptError as e:
        return ReceiptCheck(path, len(data), False, str(e), None,
                            time.perf_counter() - start)
    return ReceiptCheck(path, len(data), None, NOT_YET_VERIFYING, receipt,
                        time.perf_counter() - start)
