"""The work behind the workbench's buttons, as plain functions (no Qt).

Each task takes ``report`` (called with progress events, from the worker thread) and
``cancel`` (an ``engine.events.CancelToken`` the engine polls between chunks) and
returns its result or raises; ``workbench.views.runner`` runs them in a worker thread.
Keeping them free of Qt lets tests call them directly and keeps the widgets thin.

Phases are reported with the engine's own ``PhaseStarted``/``PhaseFinished``, so the
progress bar reads the workbench's phases (``compile``, ``analyse``, ``save``...) and
the prover's (``execute``, ``witness``, ``commit main``, ``fri``...) the same way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from collections.abc import Callable

import engine
from engine.errors import InputError, TraceLimitExceeded, ZkwbError
from engine.events import CancelToken, FriLayers, PhaseFinished, PhaseStarted
from engine.vm import ExecutionResult, execute

from workbench.model.cluster import ProveTarget
from workbench.model.profile import FunctionCycles, cycles_by_function
from workbench.model.trace_data import TraceView

# A trace is ~100 bytes per cycle: record one when the run fits in 2^22 cycles (the
# executor's default cap, ~400 MB); longer runs execute without a trace, and the plots
# say why they are empty.
TRACE_ROW_LIMIT = 1 << 22

Report = Callable[[object], None]


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


@dataclass
class ProofOutcome:
    """A proof: the engine's ``ProveResult``, where its receipt was saved and its size,
    and the execution as the window shows it."""
    result: object
    receipt_path: str
    receipt_bytes: int
    execution: ExecutionOutcome


@dataclass
class ReceiptCheck:
    """What is known about a receipt file.

    ``valid`` is False with ``reason`` when the file is not a well-formed receipt or
    its seal does not prove its claim, True when it does. ``receipt`` is the decoded
    ``engine.Receipt`` when the file is one, ``verification`` the engine's
    ``VerificationResult`` when it was checked.
    """
    path: str
    size: int
    valid: bool
    reason: str
    receipt: object | None = None
    verification: object | None = None
    seconds: float = 0.0
    #: The image the receipt was pinned to (None: checked against its own program).
    expected_image_id: bytes | None = None
    #: Names of the receipt's and the expected image where known ("" if not).
    program_name: str = ""
    expected_name: str = ""


_kernels_warm = False
_prover_warm = False


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
    should_cancel = lambda: cancel.cancelled
    warm_up(program, report, cancel)
    report(PhaseStarted("execute"))
    progress = lambda cycles: report(CyclesRun(cycles))
    note = ""
    try:
        result = execute(program, input_data, record_trace=True, max_trace_rows=trace_limit,
                         on_progress=progress, should_cancel=should_cancel)
    except TraceLimitExceeded:
        report(PhaseStarted("execute untraced"))
        result = execute(program, input_data, on_progress=progress,
                         should_cancel=should_cancel)
        note = (f"This run took {result.cycles:,} cycles; a trace is recorded for runs up "
                f"to {trace_limit:,} cycles (2^{trace_limit.bit_length() - 1}).")
    report(CyclesRun(result.cycles))
    return analyse(program, result, report, note)


def analyse(program, result: ExecutionResult, report: Report, note: str = "") \
        -> ExecutionOutcome:
    """The plots' data and the profile of an execution (``analyse`` phase)."""
    if result.trace is None:
        return ExecutionOutcome(result, None, [], note)
    report(PhaseStarted("analyse"))
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
    report(PhaseStarted("compile"))
    start = time.perf_counter()
    try:
        execute(program, b"", max_cycles=1)
    except ZkwbError:
        pass  # a one-cycle run ends in the cycle limit or a fault: only compiling counted
    _kernels_warm = True
    seconds = time.perf_counter() - start
    report(PhaseFinished("compile", seconds))
    report(KernelsReady(seconds))
    cancel.raise_if_cancelled()


def run_proof(program, input_data: bytes, receipt_path: str,
              target: ProveTarget | None = None, *, report: Report,
              cancel: CancelToken) -> ProofOutcome:
    """Prove ``program`` on ``input_data`` and save the receipt at ``receipt_path``.

    ``target``: where the segments are proved (``workbench.model.cluster``; default
    this process). The receipt is written (atomically) only once the proof is complete,
    so a cancelled or failed proof leaves no file. Raises what ``engine.prove`` raises
    (``GuestFault``, ``TraceLimitExceeded``, ``ProvingError``, ``Cancelled``, and
    ``InputError`` for a scheduler it cannot reach) and ``InputError`` when the
    receipt cannot be written.
    """
    warm_up(program, report, cancel)
    warm_up_prover(report, cancel)
    where = (target or ProveTarget()).engine_arguments()
    result = engine.prove(program, input_data, on_event=report, cancel=cancel, **where)
    # The prover records the run window by window and keeps none of it: the plots get
    # the run recorded again (fast; up to TRACE_ROW_LIMIT cycles, as an execution).
    execution = run_execution(program, input_data, report, cancel)
    cancel.raise_if_cancelled()
    report(PhaseStarted("save"))
    size = engine.write_receipt(receipt_path, result.receipt)
    return ProofOutcome(result, receipt_path, size, execution)


def warm_up_prover(report: Report, cancel: CancelToken) -> None:
    """Compile the prover's kernels once per process, as a phase of its own.

    Without Numba's on-disk cache the first proof spends minutes compiling (2.5 min on
    two cores, most of it in the constraint checker); proving a 200-cycle guest first
    makes that visible as "compiling" instead of a phase that seems to hang. With a
    warm cache this costs about half a second, once.
    """
    global _prover_warm
    if _prover_warm:
        return
    report(PhaseStarted("compile prover"))
    start = time.perf_counter()
    try:
        from engine.runtime.resources import guest_path
        from engine.vm import load_elf
        tiny = load_elf(guest_path("fibonacci"))
    except ZkwbError:
        tiny = None            # no bundled guest: the first proof compiles as it goes
    if tiny is not None:
        engine.prove(tiny, b"1", cancel=cancel)
    _prover_warm = True
    seconds = time.perf_counter() - start
    report(PhaseFinished("compile prover", seconds))
    report(KernelsReady(seconds))


def run_receipt_check(path: str, expected_image_id: bytes | None, program,
                      report: Report, cancel: CancelToken) -> ReceiptCheck:
    """Read, decode and verify the receipt at ``path`` (bounded; no code executed).

    ``expected_image_id`` pins the image: ``engine.verify`` gets it, and a receipt for
    any other image is invalid. None checks the receipt against the program it
    carries (the result says it was not compared with an expected one). ``program``
    is the loaded program, used for a detached receipt. A malformed, truncated or
    foreign file gives ``valid=False`` and the decoder's reason; an unreadable one
    raises ``InputError``. The result names the receipt's and the expected image
    where they are the loaded program's or a bundled sample's.
    """
    from engine.fileio import read_bounded
    from engine.receipt import MAX_RECEIPT_BYTES, ReceiptError, decode_receipt
    report(PhaseStarted("read"))
    start = time.perf_counter()
    data = read_bounded(path, MAX_RECEIPT_BYTES, "receipt")
    try:
        receipt = decode_receipt(data)
    except ReceiptError as e:
        return ReceiptCheck(path, len(data), False, str(e), None, None,
                            time.perf_counter() - start, expected_image_id)
    names = {"program_name": program_name(receipt.image_id, program),
             "expected_name": program_name(expected_image_id, program)}
    # The first segment's folding: the one the verifier checks first.
    layers = fri_layer_sizes(receipt.segments[0].log_trace_height, receipt.params)
    if layers:
        report(FriLayers(layers))
    detached_program = program if receipt.detached else None
    if detached_program is not None and expected_image_id is not None \
            and expected_image_id != detached_program.image_id:
        raise InputError("the pinned image ID is not the loaded program's, and this detached "
                         "receipt needs the program to be verified: load the right ELF or "
                         "clear the pinned ID")
    if detached_program is not None and expected_image_id is None \
            and detached_program.image_id != receipt.image_id:
        return ReceiptCheck(path, len(data), False,
                            f"the receipt is detached (it carries no program) and the loaded "
                            f"program, {detached_program.name}, is not the one it was made "
                            f"for: open that program to verify it", receipt, None,
                            time.perf_counter() - start, None, **names)
    verification = engine.verify(receipt, image_id=None if detached_program else
                                 expected_image_id, program=detached_program,
                                 on_event=report, cancel=cancel)
    return ReceiptCheck(path, len(data), verification.valid, verification.reason or "",
                        receipt, verification, time.perf_counter() - start, expected_image_id,
                        **names)


def program_name(image_id: bytes | None, program=None) -> str:
    """The name of the program with ``image_id``: ``program``'s (the loaded one) or a
    bundled sample's; "" when unknown."""
    if image_id is None:
        return ""
    if program is not None and program.image_id == image_id:
        return program.name
    from workbench.model.samples import sample_names_by_image
    return sample_names_by_image().get(bytes(image_id), "")


def fri_layer_sizes(log_trace_height: int, params) -> tuple[int, ...]:
    """FRI's codeword sizes for a trace of ``2^log_trace_height`` rows, LDE first: what
    the prover reports as ``FriLayers``, so a verification shows the same folding.
    Empty for parameters no proof can have."""
    from engine.stark.fri import fri_shape
    try:
        shape = fri_shape(log_trace_height + params.log_blowup, params)
    except ValueError:
        return ()
    return tuple(1 << s for s in shape.layer_log_sizes())


def run_trace_export(path: str, view: TraceView, image_id: bytes, program_name: str,
                     report: Report, cancel: CancelToken) -> str:
    """Save ``view`` as ``.npz`` at ``path`` (atomically); returns ``path``."""
    from workbench.model.files import save_trace_npz
    report(PhaseStarted("export"))
    save_trace_npz(path, view, image_id, program_name)
    return path
