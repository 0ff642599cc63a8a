"""Run a guest program: ``execute(program, input_data) -> ExecutionResult``."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from collections.abc import Callable

import numpy as np

from engine.errors import (Cancelled, CycleLimitExceeded, GuestFault, InputError,
                           TraceLimitExceeded)
from engine.vm import kernel as k
from engine.vm.memory_map import (DEFAULT_MAX_CYCLES, INITIAL_SP, MAX_INPUT_BYTES,
                                  MAX_JOURNAL_BYTES, MAX_LOG_BYTES, WORD_COUNT)
from engine.vm.program import Program
from engine.vm.trace import N_COLUMNS, Trace

# Cycles per call into the kernel: between calls the executor reports progress and
# checks the cancel callback, so this bounds how long a cancel takes (~0.1-0.5 s).
CHUNK_CYCLES = 1 << 23
DEFAULT_MAX_TRACE_ROWS = 1 << 22

_FAULT_MESSAGES = {
    k.FAULT_ILLEGAL: "illegal instruction",
    k.FAULT_EBREAK: "ebreak (breakpoint)",
    k.FAULT_FETCH: "instruction fetch outside the program's executable segments",
    k.FAULT_MISALIGNED_PC: "jump to an address that is not a multiple of 4",
    k.FAULT_LOAD_RANGE: "load from an address outside guest memory",
    k.FAULT_STORE_RANGE: "store to an address outside guest memory",
    k.FAULT_LOAD_ALIGN: "misaligned load",
    k.FAULT_STORE_ALIGN: "misaligned store",
    k.FAULT_STORE_CODE: "store into the program's executable segment (code is read-only)",
    k.FAULT_JOURNAL_LIMIT: f"the journal grew past {MAX_JOURNAL_BYTES >> 20} MiB",
    k.FAULT_READ_CODE: "read() into the program's executable segment (code is read-only)",
}


@dataclass(frozen=True)
class ExecutionResult:
    """What a guest did. ``exit_code`` is a0 at exit as an unsigned 32-bit value."""
    exit_code: int
    journal: bytes
    log: bytes
    cycles: int
    registers: np.ndarray          # uint32, shape (32,): the register file at exit
    seconds: float
    trace: Trace | None = None
    log_bytes_dropped: int = 0
    #: Length of the private input the run was given (the proof's one free choice
    #: besides the input's bytes: ``read`` returns ``min(n, bytes left)``).
    input_length: int = 0

    @property
    def mhz(self) -> float:
        return self.cycles / self.seconds / 1e6 if self.seconds > 0 else 0.0


def execute(program: Program, input_data: bytes = b"", max_cycles: int | None = None,
            record_trace: bool = False, max_trace_rows: int = DEFAULT_MAX_TRACE_ROWS,
            on_progress: Callable[[int], None] | None = None,
            should_cancel: Callable[[], bool] | None = None) -> ExecutionResult:
    """Run ``program`` on ``input_data`` until it exits.

    With ``record_trace`` the result carries the execution trace (``engine.vm.trace``).
    ``on_progress(cycles)`` is called between chunks of ~8M cycles; ``should_cancel()``
    is polled there too. Raises ``GuestFault`` (with the pc, the instruction and what
    the guest wrote so far) if the guest faults, ``CycleLimitExceeded`` after
    ``max_cycles`` cycles, ``TraceLimitExceeded`` if a recorded trace would need more
    than ``max_trace_rows`` rows, ``InputError`` for an input over the size limit, and
    ``engine.errors.Cancelled`` when cancelled.
    """
    if len(input_data) > MAX_INPUT_BYTES:
        raise InputError(f"the private input is {len(input_data)} bytes; the limit is "
                         f"{MAX_INPUT_BYTES >> 20} MiB")
    max_cycles = DEFAULT_MAX_CYCLES if max_cycles is None else int(max_cycles)
    if max_cycles <= 0:
        raise InputError("--max-cycles must be a positive number of cycles")
    if not record_trace:
        return _run(program, input_data, max_cycles, None, on_progress, should_cancel)
    # Recording needs the cycle count up front: a first pass without recording costs a
    # few percent of the recorded one, sizes the trace exactly (no regrowth, no copies),
    # and refuses a run that is too long before allocating anything for it.
    counted = _run(program, input_data, max_cycles, None, on_progress, should_cancel)
    if counted.cycles > max_trace_rows:
        raise TraceLimitExceeded(
            f"this run takes {counted.cycles:,} cycles; one proof covers at most "
            f"{max_trace_rows:,}", cycles=counted.cycles, limit=max_trace_rows)
    traced = _run(program, input_data, max_cycles, counted.cycles, None, should_cancel)
    return replace(traced, seconds=counted.seconds + traced.seconds)


def _run(program: Program, input_data: bytes, max_cycles: int, trace_rows: int | None,
         on_progress, should_cancel) -> ExecutionResult:
    """One run; records a trace of ``trace_rows`` rows unless that is None."""
    record = trace_rows is not None
    st = np.zeros(k.STATE_SIZE, dtype=np.int64)
    st[k.S_PC] = program.entry
    st[k.S_BRK] = program.heap_start
    regs = np.zeros(32, dtype=np.int64)
    regs[2] = INITIAL_SP
    mem = np.zeros(WORD_COUNT, dtype=np.uint32)    # calloc'd: pages cost only when touched
    mem[program.word_addresses] = program.word_values
    code_ranges = np.array(program.code_ranges, dtype=np.int64).reshape(-1, 2)
    inp = np.frombuffer(bytes(input_data), dtype=np.uint8)
    journal = np.zeros(4096, dtype=np.uint8)
    log = np.zeros(4096, dtype=np.uint8)
    trace = np.zeros((trace_rows or 0, N_COLUMNS), dtype=np.uint32)
    reg_ts = np.zeros(32, dtype=np.int64)
    mem_ts = np.zeros(WORD_COUNT if record else 0, dtype=np.uint32)

    # A call with no cycle budget loads (or compiles) the kernel, so that the timing
    # below measures execution only.
    k.run(st, regs, mem, program.code, program.code_words, program.code_base, code_ranges, inp,
          journal, log, 0, max_cycles, record, trace, reg_ts, mem_ts, program.heap_start)
    start = time.perf_counter()
    while True:
        status = k.run(st, regs, mem, program.code, program.code_words, program.code_base,
                       code_ranges, inp, journal, log, CHUNK_CYCLES, max_cycles, record,
                       trace, reg_ts, mem_ts, program.heap_start)
        if status == k.STATUS_EXIT:
            break
        if status == k.STATUS_BUDGET:
            if on_progress is not None:
                on_progress(int(st[k.S_CYCLES]))
            if should_cancel is not None and should_cancel():
                raise Cancelled("execution cancelled")
        elif status == k.STATUS_GROW_TRACE:
            # The first pass counted every row; a second pass that needs more would
            # not be the same execution.
            raise RuntimeError("the recorded run diverged from the counting run")
        elif status == k.STATUS_GROW_JOURNAL:
            journal = _grown(journal, min(max(int(st[k.S_NEED]), 2 * journal.shape[0]),
                                          MAX_JOURNAL_BYTES))
        elif status == k.STATUS_GROW_LOG:
            log = _grown(log, min(max(int(st[k.S_NEED]), 2 * log.shape[0]), MAX_LOG_BYTES))
        else:
            raise _fault(program, st, regs, journal, log)
    seconds = time.perf_counter() - start
    cycles = int(st[k.S_CYCLES])
    return ExecutionResult(
        exit_code=int(st[k.S_EXIT_CODE]) & 0xFFFFFFFF,
        journal=journal[:st[k.S_JOURNAL_LEN]].tobytes(),
        log=log[:st[k.S_LOG_LEN]].tobytes(),
        cycles=cycles,
        registers=regs.astype(np.uint32),
        seconds=seconds,
        trace=Trace(trace) if record else None,
        log_bytes_dropped=int(st[k.S_LOG_DROPPED]),
        input_length=len(input_data),
    )


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size,) + array.shape[1:], dtype=array.dtype)
    out[:array.shape[0]] = array
    return out


def _fault(program: Program, st, regs, journal, log) -> GuestFault:
    pc = int(st[k.S_PC])
    code = int(st[k.S_FAULT])
    idx = (pc - program.code_base) >> 2
    insn = int(program.code_words[idx]) if pc % 4 == 0 and 0 <= idx < len(program.code_words) \
        and pc >= program.code_base else None
    cycles = int(st[k.S_CYCLES])
    journal_bytes = journal[:st[k.S_JOURNAL_LEN]].tobytes()
    log_bytes = log[:st[k.S_LOG_LEN]].tobytes()
    if code == k.FAULT_CYCLE_LIMIT:
        return CycleLimitExceeded(
            f"the guest ran {cycles} cycles without exiting (the limit; raise it with "
            "--max-cycles)", pc, insn, cycles, journal_bytes, log_bytes)
    reason = _FAULT_MESSAGES.get(code, f"fault {code}")
    sym = program.symbol_at(pc)
    if sym is not None:
        reason += f" in {sym.name}+0x{pc - sym.address:x}"
    return GuestFault(reason, pc, insn, cycles, journal_bytes, log_bytes)
