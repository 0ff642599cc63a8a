"""The recorded trace: a slow replay checks every access against a dictionary memory."""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine.errors import TraceLimitExceeded
from engine.vm import execute, load_elf
from engine.vm.memory_map import INITIAL_SP
from engine.vm.trace import (C_KIND, C_MASK, C_NEXT_PC, C_PC, COLUMNS, KIND_SYSCALL_IO, N_COLUMNS,
                             SLOTS)
from tests.vm.asm import DATA_BASE, Asm

GUESTS = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "guests")


def replay(program, trace_rows: np.ndarray) -> dict[int, int]:
    """Check the memory-access log row by row; return the final memory (word -> value)."""
    memory = {int(a): int(v) for a, v in zip(program.word_addresses, program.word_values)}
    memory[2] = INITIAL_SP
    last_ts: dict[int, int] = {}
    rows = trace_rows.astype(np.int64)
    for r, row in enumerate(rows):
        mask = int(row[C_MASK])
        for s in range(SLOTS):
            if not (mask >> s) & 1:
                continue
            addr, prev_ts, prev, val = (int(x) for x in row[5 + 4 * s: 9 + 4 * s])
            ts = 4 * (r + 1) + s
            assert prev == memory.get(addr, 0), f"row {r} slot {s}: stale previous value"
            assert prev_ts == last_ts.get(addr, 0), f"row {r} slot {s}: wrong previous timestamp"
            assert prev_ts < ts
            if not (mask >> (4 + s)) & 1:
                assert val == prev, f"row {r} slot {s}: a read changed memory"
            elif addr == 0:
                raise AssertionError(f"row {r}: write to x0 recorded")
            memory[addr] = val
            last_ts[addr] = ts
        if r + 1 < len(rows):
            assert row[C_NEXT_PC] == rows[r + 1][C_PC], f"row {r}: pc flow broken"
    return memory


@pytest.mark.parametrize("guest,data", [
    ("hello", b"Hello, trace!"), ("sha256", b"x" * 200), ("sort", b"9 8 7 1 2 3 100 -5"),
    ("fibonacci", b"30"),
])
def test_trace_replays_consistently_for_sample_guests(guest, data):
    program = load_elf(os.path.join(GUESTS, f"{guest}.elf"))
    plain = execute(program, data)
    traced = execute(program, data, record_trace=True)
    assert traced.trace.rows.shape == (plain.cycles, N_COLUMNS)
    assert (traced.journal, traced.exit_code, traced.cycles) == (plain.journal, plain.exit_code,
                                                                 plain.cycles)
    memory = replay(program, traced.trace.rows)
    for r in range(1, 32):
        assert memory.get(r, 0) == int(traced.registers[r])


def test_syscall_rows_record_words_copied_with_stream_positions():
    prog = Asm()
    prog.data += bytes(32)
    prog.syscall(63, 0, DATA_BASE + 2, 7)
    prog.syscall(64, 1, DATA_BASE + 2, 7)
    prog.exit(code=0)
    program = load_elf(prog.elf())
    result = execute(program, b"abcdefgh", record_trace=True)
    rows = result.trace.rows
    replay(program, rows)
    io = rows[rows[:, C_KIND] == KIND_SYSCALL_IO]
    t = result.trace
    col = {n: i for i, n in enumerate(COLUMNS)}
    # read: words DATA_BASE/4 (2 bytes at offset 2), +1 (4 bytes), +2 (1 byte); write the same
    assert io[:, col["s2_addr"]].tolist() == [DATA_BASE // 4, DATA_BASE // 4 + 1, DATA_BASE // 4 + 2] * 2
    assert io[:, col["io_offset"]].tolist() == [2, 0, 0] * 2
    assert io[:, col["io_length"]].tolist() == [2, 4, 1] * 2
    assert io[:, col["io_position"]].tolist() == [0, 2, 6] * 2
    assert result.journal == b"abcdefg"
    assert len(t) == result.cycles


def test_trace_limit_is_reported_before_memory_runs_out():
    prog = Asm()
    prog.li(5, 100_000)
    prog.op("addi", 5, 5, -1)
    prog.branch("bne", 5, 0, -4)
    prog.exit(code=0)
    program = load_elf(prog.elf())
    cycles = execute(program).cycles
    assert cycles > 1 << 16
    with pytest.raises(TraceLimitExceeded, match=f"this run takes {cycles:,} cycles; one "
                       "proof covers at most 65,536$") as e:
        execute(program, record_trace=True, max_trace_rows=1 << 16)
    assert (e.value.cycles, e.value.limit) == (cycles, 1 << 16)
