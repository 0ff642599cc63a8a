"""Run a guest program: ``execute(program, input_data) -> ExecutionResult``, or record a
long run one window of rows at a time: ``execute_segments(...) -> SegmentedRun``."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from engine.errors import (Cancelled, CycleLimitExceeded, GuestFault, InputError,
                           TraceLimitExceeded)
from engine.vm import kernel as k
from engine.vm.memory_map import (DEFAULT_MAX_CYCLES, INITIAL_SP, MAX_INPUT_BYTES,
                                  MAX_JOURNAL_BYTES, MAX_LOG_BYTES, MAX_RUN_ROWS, WORD_COUNT)
from engine.vm.program import Program
from engine.vm.trace import N_COLUMNS, Trace

# Cycles per call into the kernel: between calls the executor reports progress and
# checks the cancel callback, so this bounds how long a cancel takes (~0.1-0.5 s).
CHUNK_CYCLES = 1 << 23
DEFAULT_MAX_TRACE_ROWS = 1 << 22
# A row_stop no run reaches (MAX_RUN_ROWS and the cycle limit stop runs long before).
_NO_ROW_STOP = 1 << 62

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


@dataclass(frozen=True)
class MachineState:
    """The machine between two rows: ``row`` is the next row to execute, ``pc`` its pc
    (the ecall's while a read/write is copying), ``journal_position`` and
    ``input_position`` the journal bytes written and input bytes read by the rows
    before it, ``brk`` the program break."""
    row: int
    pc: int
    journal_position: int
    input_position: int
    brk: int


@dataclass(frozen=True, eq=False)
class Window:
    """Rows ``[first_row, first_row + len(trace))`` of a run (``SegmentedRun.windows``).

    ``trace`` has today's columns with global row numbering and global timestamps; its
    array is the windows' shared buffer, valid until the next window is produced (copy
    it to keep it). ``next_row`` (uint32, shape (N_COLUMNS,), same buffer) is the first
    row of the next window, None for the last. ``start``/``end``: the machine before
    the window's first row and after its last.
    """
    index: int
    first_row: int
    trace: Trace
    next_row: np.ndarray | None
    start: MachineState
    end: MachineState

    def __len__(self) -> int:
        return len(self.trace)


@dataclass(frozen=True, eq=False)
class SegmentedRun:
    """A run that exited, counted and ready to be recorded in windows of
    ``rows_per_segment`` rows (every window but the last is full).

    From the counting pass: ``rows`` (= cycles), the exit code, journal, log, input
    length and the registers at exit (uint32[32]); ``touched_words`` (uint32, sorted)
    are the word addresses the run accessed (registers 0..31, RAM ``byte >> 2``),
    ``touched_values`` (uint32) their values at exit and ``touched_last_ts`` (uint32)
    the global timestamp of each one's last access.
    """
    program: Program
    rows_per_segment: int
    rows: int
    exit_code: int
    journal: bytes
    log: bytes
    log_bytes_dropped: int
    input_length: int
    registers: np.ndarray
    touched_words: np.ndarray
    touched_values: np.ndarray
    touched_last_ts: np.ndarray
    seconds: float
    input_data: bytes = field(repr=False)
    max_cycles: int = field(repr=False)
    should_cancel: Callable[[], bool] | None = field(default=None, repr=False)

    @property
    def cycles(self) -> int:
        return self.rows

    @property
    def segment_count(self) -> int:
        """``ceil(rows / rows_per_segment)``."""
        return -(-self.rows // self.rows_per_segment)

    def windows(self, first: int = 0) -> Iterator[Window]:
        """Record the run again, window ``first`` onwards, one window at a time.

        Memory stays one buffer of ``rows_per_segment + 1`` rows (the extra row holds
        ``next_row``) beside the guest's memory, however long the run. Windows before
        ``first`` are executed without recording. Raises ``ValueError`` for a
        ``first`` outside ``[0, segment_count)``, ``engine.errors.Cancelled`` when the
        run's ``should_cancel()`` says so (polled before every window), and
        ``RuntimeError`` if the run does not repeat the counted one.
        """
        if not 0 <= first < self.segment_count:
            raise ValueError(f"window {first} is outside 0..{self.segment_count - 1}")
        return self._windows(first)

    def _windows(self, first: int) -> Iterator[Window]:
        size = self.rows_per_segment
        machine = _Machine(self.program, self.input_data, self.max_cycles, track=True)
        buffer = np.zeros((size + 1, N_COLUMNS), dtype=np.uint32)
        machine.run_to(first * size, None, 0, None, self.should_cancel)
        start_state = machine.state()
        for index in range(first, self.segment_count):
            if self.should_cancel is not None and self.should_cancel():
                raise Cancelled("execution cancelled")
            start = index * size
            end = min(start + size, self.rows)
            if index > first:
                buffer[0] = buffer[size]    # the next window's first row, recorded last time
            exited = machine.run_to(end, buffer, start, None, self.should_cancel)
            if machine.rows != end or exited != (end == self.rows):
                raise RuntimeError("the recorded run diverged from the counting run")
            end_state = machine.state()
            next_row = None
            if end < self.rows:
                machine.run_to(end + 1, buffer, start, None, self.should_cancel)
                if machine.rows != end + 1:
                    raise RuntimeError("the recorded run diverged from the counting run")
                next_row = buffer[size]
            yield Window(index, start, Trace(buffer[:end - start]), next_row, start_state,
                         end_state)
            start_state = end_state


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
    max_cycles = _checked_limits(input_data, max_cycles)
    # Recording needs the cycle count up front: a first pass without recording costs a
    # few percent of the recorded one, sizes the trace exactly (no regrowth, no copies),
    # and refuses a run that is too long before allocating anything for it.
    counted = _Machine(program, input_data, max_cycles, track=False)
    counted.run_to(_NO_ROW_STOP, None, 0, on_progress, should_cancel)
    if not record_trace:
        return counted.result()
    rows = counted.rows
    if rows > max_trace_rows:
        raise TraceLimitExceeded(
            f"this run takes {rows:,} cycles; one proof covers at most "
            f"{max_trace_rows:,}", cycles=rows, limit=max_trace_rows)
    # The whole trace is one window: rows [0, rows) into a buffer of exactly that size.
    traced = _Machine(program, input_data, max_cycles, track=True)
    trace = np.zeros((rows, N_COLUMNS), dtype=np.uint32)
    if not traced.run_to(rows, trace, 0, None, should_cancel):
        raise RuntimeError("the recorded run diverged from the counting run")
    return replace(traced.result(Trace(trace)), seconds=counted.seconds + traced.seconds)


def execute_segments(program: Program, input_data: bytes, rows_per_segment: int,
                     max_cycles: int | None = None,
                     on_progress: Callable[[int], None] | None = None,
                     should_cancel: Callable[[], bool] | None = None) -> SegmentedRun:
    """Count a run of any length up to ``MAX_RUN_ROWS`` rows, for recording in windows.

    Runs the guest once without recording (``on_progress(cycles)`` and
    ``should_cancel()`` between chunks, as in ``execute``) and returns the summary;
    ``SegmentedRun.windows()`` then records it window by window. Raises what
    ``execute`` raises, ``TraceLimitExceeded`` for a run longer than ``MAX_RUN_ROWS``
    rows (found when it gets there, before it ends), and ``ValueError`` unless
    ``rows_per_segment`` is positive.
    """
    max_cycles = _checked_limits(input_data, max_cycles)
    rows_per_segment = int(rows_per_segment)
    if rows_per_segment < 1:
        raise ValueError("rows_per_segment must be at least 1")
    # Tracking timestamps in the count keeps each word's last access: the global final
    # memory table needs it before the first window is recorded.
    counted = _Machine(program, input_data, max_cycles, track=True)
    if not counted.run_to(MAX_RUN_ROWS, None, 0, on_progress, should_cancel):
        raise TraceLimitExceeded(
            f"this run takes more than {MAX_RUN_ROWS:,} cycles, the most a run proven in "
            "segments may take", limit=MAX_RUN_ROWS)
    result = counted.result()
    words, values, last_ts = counted.touched()
    return SegmentedRun(
        program=program, rows_per_segment=rows_per_segment, rows=result.cycles,
        exit_code=result.exit_code, journal=result.journal, log=result.log,
        log_bytes_dropped=result.log_bytes_dropped, input_length=result.input_length,
        registers=result.registers, touched_words=words, touched_values=values,
        touched_last_ts=last_ts, seconds=result.seconds, input_data=bytes(input_data),
        max_cycles=max_cycles, should_cancel=should_cancel)


def _checked_limits(input_data: bytes, max_cycles: int | None) -> int:
    if len(input_data) > MAX_INPUT_BYTES:
        raise InputError(f"the private input is {len(input_data)} bytes; the limit is "
                         f"{MAX_INPUT_BYTES >> 20} MiB")
    max_cycles = DEFAULT_MAX_CYCLES if max_cycles is None else int(max_cycles)
    if max_cycles <= 0:
        raise InputError("--max-cycles must be a positive number of cycles")
    return max_cycles


class _Machine:
    """One run's state in the kernel's arrays, executed in resumable stretches.

    With ``track`` it keeps each word's last access timestamp (needed to record, and
    for ``touched``); ``seconds`` adds up the time spent executing.
    """

    def __init__(self, program: Program, input_data: bytes, max_cycles: int, track: bool):
        self.program = program
        self.max_cycles = max_cycles
        self.track = track
        self.exited = False
        self.seconds = 0.0
        self.st = np.zeros(k.STATE_SIZE, dtype=np.int64)
        self.st[k.S_PC] = program.entry
        self.st[k.S_BRK] = program.heap_start
        self.regs = np.zeros(32, dtype=np.int64)
        self.regs[2] = INITIAL_SP
        self.mem = np.zeros(WORD_COUNT, dtype=np.uint32)  # calloc'd: pages cost only when touched
        self.mem[program.word_addresses] = program.word_values
        self.code_ranges = np.array(program.code_ranges, dtype=np.int64).reshape(-1, 2)
        self.inp = np.frombuffer(bytes(input_data), dtype=np.uint8)
        self.journal = np.zeros(4096, dtype=np.uint8)
        self.log = np.zeros(4096, dtype=np.uint8)
        self.reg_ts = np.zeros(32, dtype=np.int64)
        self.mem_ts = np.zeros(WORD_COUNT if track else 0, dtype=np.uint32)
        self.no_trace = np.zeros((0, N_COLUMNS), dtype=np.uint32)
        # A call that stops at once loads (or compiles) the kernel, so that the timings
        # measure execution only.
        self._call(0, 0, None, 0)

    @property
    def rows(self) -> int:
        """Rows executed so far."""
        return int(self.st[k.S_CYCLES])

    def run_to(self, row_stop: int, trace: np.ndarray | None, row0: int,
               on_progress: Callable[[int], None] | None,
               should_cancel: Callable[[], bool] | None) -> bool:
        """Execute up to row ``row_stop`` (not included) or the exit; returns whether
        the guest has exited. With ``trace``, row ``r`` is recorded at ``trace[r - row0]``.
        Raises ``GuestFault``, ``CycleLimitExceeded`` or ``Cancelled``."""
        if self.exited:
            return True
        start = time.perf_counter()
        try:
            while True:
                status = self._call(CHUNK_CYCLES, row_stop, trace, row0)
                if status == k.STATUS_EXIT:
                    self.exited = True
                    return True
                if status == k.STATUS_ROW_STOP:
                    return False
                if status == k.STATUS_BUDGET:
                    if on_progress is not None:
                        on_progress(self.rows)
                    if should_cancel is not None and should_cancel():
                        raise Cancelled("execution cancelled")
                elif status == k.STATUS_GROW_JOURNAL:
                    self.journal = _grown(self.journal, min(
                        max(int(self.st[k.S_NEED]), 2 * self.journal.shape[0]), MAX_JOURNAL_BYTES))
                elif status == k.STATUS_GROW_LOG:
                    self.log = _grown(self.log, min(
                        max(int(self.st[k.S_NEED]), 2 * self.log.shape[0]), MAX_LOG_BYTES))
                else:
                    raise _fault(self.program, self.st, self.journal, self.log, self.regs)
        finally:
            self.seconds += time.perf_counter() - start

    def _call(self, budget: int, row_stop: int, trace: np.ndarray | None, row0: int) -> int:
        p = self.program
        record = trace is not None
        return k.run(self.st, self.regs, self.mem, p.code, p.code_words, p.code_base,
                     self.code_ranges, self.inp, self.journal, self.log, budget,
                     self.max_cycles, row_stop, self.track, record,
                     trace if record else self.no_trace, row0, self.reg_ts, self.mem_ts,
                     p.heap_start)

    def state(self) -> MachineState:
        st = self.st
        return MachineState(row=int(st[k.S_CYCLES]), pc=int(st[k.S_PC]),
                            journal_position=int(st[k.S_JOURNAL_LEN]),
                            input_position=int(st[k.S_INPUT_POS]), brk=int(st[k.S_BRK]))

    def touched(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The words accessed so far, sorted, with their values and last timestamps
        (uint32 each; needs ``track``)."""
        regs = np.flatnonzero(self.reg_ts)
        ram = np.flatnonzero(self.mem_ts)
        words = np.concatenate([regs, ram]).astype(np.uint32)
        values = np.concatenate([self.regs[regs].astype(np.uint32), self.mem[ram]])
        last_ts = np.concatenate([self.reg_ts[regs].astype(np.uint32), self.mem_ts[ram]])
        return words, values, last_ts

    def result(self, trace: Trace | None = None) -> ExecutionResult:
        st = self.st
        return ExecutionResult(
            exit_code=int(st[k.S_EXIT_CODE]) & 0xFFFFFFFF,
            journal=self.journal[:st[k.S_JOURNAL_LEN]].tobytes(),
            log=self.log[:st[k.S_LOG_LEN]].tobytes(),
            cycles=self.rows,
            registers=self.regs.astype(np.uint32),
            seconds=self.seconds,
            trace=trace,
            log_bytes_dropped=int(st[k.S_LOG_DROPPED]),
            input_length=self.inp.shape[0],
        )


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size,) + array.shape[1:], dtype=array.dtype)
    out[:array.shape[0]] = array
    return out


_LOADS = {0: "lb", 1: "lh", 2: "lw", 4: "lbu", 5: "lhu"}
_STORES = {0: "sb", 1: "sh", 2: "sw"}
_CSR_NAMES = {0xC00: "cycle", 0xC01: "time", 0xC02: "instret",
              0xC80: "cycleh", 0xC81: "timeh", 0xC82: "instreth"}


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _fault_detail(code: int, insn: int | None, regs) -> str:
    """The faulting instruction's mnemonic, effective address and a hint, for the
    memory and CSR faults; empty otherwise. The registers are the ones before the
    faulting instruction (it did not execute)."""
    if insn is None:
        return ""
    opcode, funct3, rs1 = insn & 0x7F, (insn >> 12) & 7, (insn >> 15) & 31
    base = int(regs[rs1]) & 0xFFFFFFFF if regs is not None else None
    if opcode == 0x03 and funct3 in _LOADS and code in (k.FAULT_LOAD_ALIGN, k.FAULT_LOAD_RANGE):
        name, imm = _LOADS[funct3], _signed(insn >> 20, 12)
    elif opcode == 0x23 and funct3 in _STORES and code in (
            k.FAULT_STORE_ALIGN, k.FAULT_STORE_RANGE, k.FAULT_STORE_CODE):
        name, imm = _STORES[funct3], _signed(((insn >> 25) << 5) | ((insn >> 7) & 31), 12)
    elif opcode == 0x73 and funct3 != 0 and code == k.FAULT_ILLEGAL:
        csr = insn >> 20
        return (f" (csr instruction on {_CSR_NAMES.get(csr, f'csr 0x{csr:03x}')}; hint: zkwb has "
                "no CSRs but the cycle counter, read only as csrrs rd, cycle|time|instret[h], "
                "x0: rdcycle, rdtime, rdinstret)")
    else:
        return ""
    text = f" ({name} x{(insn >> 7) & 31 if opcode == 0x03 else (insn >> 20) & 31}, {imm}(x{rs1})"
    if base is not None:
        text += f", effective address 0x{(base + imm) & 0xFFFFFFFF:08x}"
    if code in (k.FAULT_LOAD_ALIGN, k.FAULT_STORE_ALIGN):
        text += "; hint: compile with -mstrict-align"
    return text + ")"


def _fault(program: Program, st, journal, log, regs=None) -> GuestFault:
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
    reason = _FAULT_MESSAGES.get(code, f"fault {code}") + _fault_detail(code, insn, regs)
    sym = program.symbol_at(pc)
    if sym is not None:
        reason += f" in {sym.name}+0x{pc - sym.address:x}"
    line = program.line_at(pc)
    if line is not None:
        reason += f" at {line[0]}:{line[1]}"
    return GuestFault(reason, pc, insn, cycles, journal_bytes, log_bytes)
