"""A run recorded in windows is the one trace, cut: execute_segments and its windows.

Window k holds rows [k·R, min((k + 1)·R, rows)) with today's columns, global rows and
timestamps; the windows concatenated are exactly ``execute(record_trace=True)``'s
trace, however the boundaries fall (inside a read's or a journal write's copy rows
too), and a long run keeps one window's buffer in memory, not its trace.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from engine.errors import Cancelled, GuestFault, TraceLimitExceeded
from engine.field.babybear import P
from engine.vm import execute, load_elf
from engine.vm import executor as executor_module
from engine.vm.executor import execute_segments
from engine.vm.memory_map import MAX_RUN_ROWS
from engine.vm.trace import (C_IO_LENGTH, C_IO_OFFSET, C_IO_POSITION, C_KIND, C_MASK,
                             C_NEXT_PC, C_PC, C_SLOT0, KIND_INSTRUCTION, KIND_SYSCALL_ARGS, KIND_SYSCALL_IO,
                             N_COLUMNS, SLOT_MEM)
from tests.vm.asm import DATA_BASE, Asm
from tests.vm.qemu import GUESTS_DIR, run_qemu

SEGMENT_ROWS = (2**10 - 99 - 1, 1000, 4093, 4096)


def _numbers(seed: int, count: int) -> bytes:
    rng = random.Random(seed)
    return " ".join(str(rng.randrange(-10**6, 10**6)) for _ in range(count)).encode()


GUEST_RUNS = {
    "fibonacci": b"1000",
    "sort": _numbers(1, 100),
    "sha256": random.Random(2).randbytes(999),
    "primes": b"1000",
}


def _windows_concatenated(run, first: int = 0) -> np.ndarray:
    return np.concatenate([w.trace.rows.copy() for w in run.windows(first)])


def _is_journal_write_row(rows: np.ndarray) -> np.ndarray:
    """Copy rows of a write: slot 2 read, not written (a read's copy rows write it)."""
    return (rows[:, C_KIND] == KIND_SYSCALL_IO) & ((rows[:, C_MASK] >> (4 + SLOT_MEM)) & 1 == 0)


def _is_input_read_row(rows: np.ndarray) -> np.ndarray:
    return (rows[:, C_KIND] == KIND_SYSCALL_IO) & ((rows[:, C_MASK] >> (4 + SLOT_MEM)) & 1 == 1)


def _journal_of(rows: np.ndarray) -> dict[int, int]:
    """Journal bytes (position -> byte) that the write copy rows carry."""
    out: dict[int, int] = {}
    for row in rows[_is_journal_write_row(rows)].astype(np.int64):
        word = int(row[C_SLOT0 + 4 * SLOT_MEM + 2])
        offset = int(row[C_IO_OFFSET])
        for i in range(int(row[C_IO_LENGTH])):
            out[int(row[C_IO_POSITION]) + i] = (word >> (8 * (offset + i))) & 0xFF
    return out


@pytest.mark.parametrize("rows_per_segment", SEGMENT_ROWS)
@pytest.mark.parametrize("guest", GUEST_RUNS)
def test_windows_concatenated_are_the_single_trace(guest, rows_per_segment):
    program = load_elf(GUESTS_DIR / f"{guest}.elf")
    data = GUEST_RUNS[guest]
    single = execute(program, data, record_trace=True)
    run = execute_segments(program, data, rows_per_segment)
    assert (run.rows, run.cycles, run.exit_code, run.journal, run.log, run.input_length) == \
        (single.cycles, single.cycles, single.exit_code, single.journal, single.log, len(data))
    assert np.array_equal(run.registers, single.registers)
    assert run.segment_count == -(-single.cycles // rows_per_segment) >= 2
    windows = []
    for w in run.windows():
        windows.append((w.index, w.first_row, len(w), w.trace.rows.copy(),
                        None if w.next_row is None else w.next_row.copy(), w.start, w.end))
    assert [w[0] for w in windows] == list(range(run.segment_count))
    assert all(first == i * rows_per_segment for i, first, *_ in windows)
    assert all(n == rows_per_segment for _, _, n, *_ in windows[:-1])
    assert np.array_equal(np.concatenate([w[3] for w in windows]), single.trace.rows)
    for before, after in itertools.pairwise(windows):
        assert np.array_equal(before[4], after[3][0]), "next_row is the next window's first row"
        assert before[6] == after[5], "a window ends in the state the next one starts from"
    assert windows[-1][4] is None
    for _, first, n, rows, _, start, end in windows:
        assert (start.row, end.row) == (first, first + n)
        assert start.pc == rows[0, C_PC] and end.pc == rows[-1, C_NEXT_PC]
        written = int(rows[_is_journal_write_row(rows), C_IO_LENGTH].sum())
        read = int(rows[_is_input_read_row(rows), C_IO_LENGTH].sum())
        assert end.journal_position - start.journal_position == written
        assert end.input_position - start.input_position == read
    assert windows[0][5].journal_position == 0 and windows[-1][6].journal_position == len(single.journal)
    assert windows[0][5].brk == program.heap_start


def test_windows_from_a_later_first_window_are_the_same_rows():
    program = load_elf(GUESTS_DIR / "sha256.elf")
    single = execute(program, GUEST_RUNS["sha256"], record_trace=True)
    run = execute_segments(program, GUEST_RUNS["sha256"], 1000)
    for first in (1, 37, run.segment_count - 1):
        assert np.array_equal(_windows_concatenated(run, first), single.trace.rows[first * 1000:])
    with pytest.raises(ValueError, match="outside"):
        run.windows(run.segment_count)


def _read_then_write_program(size: int):
    """read(0, buf, size) then write(1, buf, size) at a buffer 2 bytes into a word."""
    prog = Asm()
    prog.data += bytes(size + 8)
    prog.syscall(63, 0, DATA_BASE + 2, size)
    prog.syscall(64, 1, DATA_BASE + 2, size)
    prog.exit(code=7)
    return load_elf(prog.elf())


def _syscall_row_kind(rows: np.ndarray, r: int) -> str:
    """What row r of a trace is: 'ecall', 'args', 'read-copy', 'write-copy' or 'other'."""
    kind = int(rows[r, C_KIND])
    if kind == KIND_SYSCALL_ARGS:
        return "args"
    if kind == KIND_SYSCALL_IO:
        return "read-copy" if _is_input_read_row(rows[r:r + 1])[0] else "write-copy"
    if kind == KIND_INSTRUCTION and rows[r, C_NEXT_PC] == rows[r, C_PC]:
        return "ecall"
    return "other"


def test_windows_end_inside_a_read_and_inside_a_journal_write():
    size = 4000
    program = _read_then_write_program(size)
    data = random.Random(3).randbytes(size)
    single = execute(program, data, record_trace=True)
    run = execute_segments(program, data, 2**10 - 99 - 1)
    rows = []
    ends = []
    for w in run.windows():
        rows.append(w.trace.rows.copy())
        if w.next_row is not None:
            # The window's last row continues into the next window: pc stays at the ecall.
            ends.append((_syscall_row_kind(w.trace.rows, len(w) - 1),
                         int(w.trace.rows[-1, C_NEXT_PC]) == int(w.trace.rows[-1, C_PC])))
    assert ("read-copy", True) in ends and ("write-copy", True) in ends
    assert np.array_equal(np.concatenate(rows), single.trace.rows)
    assert run.journal == single.journal == data and run.exit_code == 7


@pytest.mark.parametrize("where", ["ecall", "args", "read-copy", "write-copy"])
def test_a_window_can_end_at_any_row_of_a_syscall(where):
    program = _read_then_write_program(10)
    data = b"0123456789"
    single = execute(program, data, record_trace=True)
    kinds = [_syscall_row_kind(single.trace.rows, r) for r in range(single.cycles)]
    last_row = kinds.index(where)          # the first such row ends window 0
    run = execute_segments(program, data, last_row + 1)
    assert np.array_equal(_windows_concatenated(run), single.trace.rows)
    window = next(iter(run.windows()))
    assert _syscall_row_kind(window.trace.rows, len(window) - 1) == where


def test_a_run_whose_last_window_is_its_exit_row_alone():
    program = load_elf(GUESTS_DIR / "primes.elf")
    rows = execute(program, b"1000").cycles
    run = execute_segments(program, b"1000", rows - 1)
    windows = [(len(w), w.trace.rows.copy()) for w in run.windows()]
    assert [n for n, _ in windows] == [rows - 1, 1]
    assert np.array_equal(np.concatenate([r for _, r in windows]),
                          execute(program, b"1000", record_trace=True).trace.rows)


def test_one_window_is_the_whole_run():
    program = load_elf(GUESTS_DIR / "fibonacci.elf")
    single = execute(program, b"1000", record_trace=True)
    for size in (single.cycles, single.cycles + 1, 1 << 20):
        run = execute_segments(program, b"1000", size)
        (window,) = run.windows()
        assert window.next_row is None and np.array_equal(window.trace.rows, single.trace.rows)


def test_segmented_run_errors_are_those_of_execute():
    program = load_elf(GUESTS_DIR / "fibonacci.elf")
    with pytest.raises(ValueError, match="at least 1"):
        execute_segments(program, b"", 0)
    prog = Asm()
    prog.op("lw", 5, 0, 0)                # a load from address 0: outside guest memory
    with pytest.raises(GuestFault, match="load from an address outside guest memory"):
        execute_segments(load_elf(prog.elf()), b"", 100)


def test_windows_stop_when_cancelled():
    program = load_elf(GUESTS_DIR / "sha256.elf")
    cancel = {"now": False}
    run = execute_segments(program, GUEST_RUNS["sha256"], 1000,
                           should_cancel=lambda: cancel["now"])
    windows = run.windows()
    next(windows)
    cancel["now"] = True
    with pytest.raises(Cancelled):
        next(windows)


def test_run_row_cap_keeps_timestamps_below_the_field_prime():
    assert 4 * MAX_RUN_ROWS + 3 < P < 4 * (MAX_RUN_ROWS + 1) + 3 < 2**32
    assert MAX_RUN_ROWS < 2**29


def test_a_run_past_the_row_cap_is_refused_when_it_gets_there(monkeypatch):
    program = load_elf(GUESTS_DIR / "fibonacci.elf")
    rows = execute(program, b"1000").cycles
    monkeypatch.setattr(executor_module, "MAX_RUN_ROWS", rows - 1)
    with pytest.raises(TraceLimitExceeded, match=f"more than {rows - 1:,} cycles") as info:
        execute_segments(program, b"1000", 100)
    assert info.value.limit == rows - 1
    monkeypatch.setattr(executor_module, "MAX_RUN_ROWS", rows)
    assert execute_segments(program, b"1000", 100).rows == rows


# -- long runs: qemu agrees, memory stays one window

LONG_RUNS = {
    "sha256": random.Random(4).randbytes(1 << 20),    # ~84M rows, a 65-byte journal
    "sort": _numbers(7, 30_000) + b"\n",              # ~15M rows, a 240 kB journal
}


@pytest.mark.parametrize("guest", LONG_RUNS)
def test_long_windowed_runs_write_the_journal_qemu_writes(guest):
    """Runs of many windows of 2^20 − 99 rows: the journal that the windows' write
    rows carry, and the exit code, are qemu-riscv32's."""
    data = LONG_RUNS[guest]
    reference = run_qemu(GUESTS_DIR / f"{guest}.elf", data)
    program = load_elf(GUESTS_DIR / f"{guest}.elf")
    run = execute_segments(program, data, 2**20 - 99)
    assert run.rows > 2**23 and run.segment_count > 8
    journal: dict[int, int] = {}
    count = 0
    for w in run.windows():
        journal.update(_journal_of(w.trace.rows))
        count += 1
        last = w.trace.rows[-1].copy()
    assert count == run.segment_count
    assert bytes(journal[i] for i in range(len(journal))) == run.journal == reference.stdout
    assert last[C_SLOT0 + 4 * 1 + 2] == run.exit_code       # exit reads a0 in slot 1
    assert run.exit_code & 0xFF == reference.exit_code


_MEMORY_PROBE = r"""
import json, random, resource, sys
from engine.vm import load_elf
from engine.segments import plan_segments
program = load_elf(sys.argv[1])
def windowed(data, rows_per_segment):
    plan = plan_segments(program, data, rows_per_segment)
    words = 0
    for segment in plan.segments():
        words += len(segment.boundary)
    return plan.run.rows, words
windowed(random.Random(5).randbytes(20_000), 1000)    # load every kernel
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows, words = windowed(random.Random(6).randbytes(int(sys.argv[3])), int(sys.argv[2]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "words": words, "growth_kib": after - before}))
"""


def test_a_long_windowed_run_keeps_memory_to_one_window():
    """~10M rows in windows of 2^18 − 99: the peak RSS grows by about one window's
    buffer (25 MiB), far below what the trace would take (10M rows × 96 bytes ≈ 915 MiB).
    ru_maxrss counts pages, not time, so the bound does not depend on the machine's load."""
    rows_per_segment = 2**18 - 99
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(GUESTS_DIR / "sha256.elf"),
         str(rows_per_segment), str(125_000)],
        capture_output=True, text=True, timeout=600, check=False,
        cwd=os.fspath(GUESTS_DIR.parents[1]))
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout)
    assert probe["rows"] > 9_000_000
    window_mib = (rows_per_segment + 1) * N_COLUMNS * 4 / 2**20
    growth_mib = probe["growth_kib"] / 1024
    assert growth_mib < 3 * window_mib, f"peak RSS grew by {growth_mib:.0f} MiB"
