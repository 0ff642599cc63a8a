"""Boundary tables, local timestamps and the global final table, against a slow replay.

The reference replays the whole single trace in Python with a dictionary memory: for
each window it notes every word's value before the window's first access to it, the
last window that touched it before, its value after the window's last access and that
access's local timestamp. The kinds come from the circuit's own image
(``MachineImage.code_word_addresses``). Nothing in it reads ``prev_ts``.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.circuit.image import MachineImage
from engine.circuit.memory import KIND_CODE, KIND_RAM, KIND_REG
from engine.segments import (BoundaryTableBuilder, final_table, local_trace, plan_segments,
                             segment_rows)
from engine.segments.boundary import _fill_words, _localize, _number_words
from engine.vm import execute, load_elf
from engine.vm.executor import execute_segments
from engine.vm.memory_map import INITIAL_SP, WORD_COUNT
from engine.vm.trace import C_MASK, C_SLOT0, N_COLUMNS, SLOTS
from tests.vm.qemu import GUESTS_DIR
from tests.vm.test_segments import GUEST_RUNS, SEGMENT_ROWS
from tests.vm.test_trace import replay


def _initial_memory(program) -> dict[int, int]:
    memory = {int(a): int(v) for a, v in zip(program.word_addresses, program.word_values)}
    memory[2] = INITIAL_SP
    return memory


def _reference_tables(program, trace_rows: np.ndarray, rows_per_segment: int):
    """Per window: {addr: (kind, in_value, t_in, out_value, last_local_ts)}; and the final
    {addr: (value, t_final)} of every touched word."""
    memory = _initial_memory(program)
    code = {int(w) for w in MachineImage.from_program(program).code_word_addresses()}
    last_window: dict[int, int] = {}
    tables: list[dict[int, list[int]]] = []
    for r, row in enumerate(trace_rows.astype(np.int64)):
        window, local_row = divmod(r, rows_per_segment)
        if window == len(tables):
            tables.append({})
        table = tables[window]
        mask = int(row[C_MASK])
        for s in range(SLOTS):
            if not (mask >> s) & 1:
                continue
            addr = int(row[C_SLOT0 + 4 * s])
            if addr not in table:
                kind = KIND_REG if addr < 32 else KIND_CODE if addr in code else KIND_RAM
                t_in = last_window[addr] + 1 if addr in last_window else 0
                table[addr] = [kind, memory.get(addr, 0), t_in, None, None]
            memory[addr] = int(row[C_SLOT0 + 4 * s + 3])
            table[addr][3] = memory[addr]
            table[addr][4] = 4 * (local_row + 1) + s
            last_window[addr] = window
    final = {addr: (memory.get(addr, 0), w + 1) for addr, w in last_window.items()}
    return [{a: tuple(v) for a, v in t.items()} for t in tables], final


def _as_dict(table) -> dict[int, tuple[int, ...]]:
    return {int(a): (int(k), int(i), int(t), int(o), int(ts)) for a, k, i, t, o, ts in zip(
        table.addr, table.kind, table.in_value, table.t_in, table.out_value, table.last_local_ts)}


@pytest.mark.parametrize("rows_per_segment", SEGMENT_ROWS)
@pytest.mark.parametrize("guest", GUEST_RUNS)
def test_boundary_tables_are_those_of_a_replay_of_the_whole_trace(guest, rows_per_segment):
    program = load_elf(GUESTS_DIR / f"{guest}.elf")
    data = GUEST_RUNS[guest]
    single = execute(program, data, record_trace=True)
    expected, _ = _reference_tables(program, single.trace.rows, rows_per_segment)
    plan = plan_segments(program, data, rows_per_segment)
    tables = [segment.boundary for segment in plan.segments()]
    assert len(tables) == len(expected) == plan.segment_count
    for k, (table, want) in enumerate(zip(tables, expected)):
        assert table.index == k
        assert np.all(np.diff(table.addr.astype(np.int64)) > 0), "sorted, one row per word"
        assert table.addr.dtype == np.uint32 and table.kind.dtype == np.uint8
        assert _as_dict(table) == want, f"window {k}"


@pytest.mark.parametrize("rows_per_segment", SEGMENT_ROWS)
@pytest.mark.parametrize("guest", GUEST_RUNS)
def test_windows_chain_and_the_final_table_closes_them(guest, rows_per_segment):
    """A word's in value is the out value of window t_in − 1 (or its initial value), and
    the final table holds the out value of the last window that touched it."""
    program = load_elf(GUESTS_DIR / f"{guest}.elf")
    data = GUEST_RUNS[guest]
    plan = plan_segments(program, data, rows_per_segment)
    initial = _initial_memory(program)
    tables = [_as_dict(segment.boundary) for segment in plan.segments()]
    left: dict[int, tuple[int, int]] = {}          # addr -> (value, tag) the last window left
    for k, table in enumerate(tables):
        for addr, (_, in_value, t_in, out_value, _) in table.items():
            if t_in == 0:
                assert addr not in left and in_value == initial.get(addr, 0)
            else:
                assert left[addr] == (in_value, t_in) and t_in <= k
            left[addr] = (out_value, k + 1)
    final = plan.final
    rows = {int(a): (int(v), int(t)) for a, v, t in zip(final.addr, final.final_value,
                                                        final.t_final)}
    for addr, value_tag in left.items():
        assert rows[addr] == value_tag
    assert all(t == 0 for a, (_, t) in rows.items() if a not in left)


@pytest.mark.parametrize("guest", GUEST_RUNS)
def test_final_table_is_memory_and_registers_at_exit(guest):
    program = load_elf(GUESTS_DIR / f"{guest}.elf")
    data = GUEST_RUNS[guest]
    rows_per_segment = 1000
    single = execute(program, data, record_trace=True)
    memory = replay(program, single.trace.rows)
    _, touched = _reference_tables(program, single.trace.rows, rows_per_segment)
    image = MachineImage.from_program(program)
    image_addr, image_value, image_kind = image.initial_words()
    image_words = {int(a): (int(v), int(k)) for a, v, k in zip(image_addr, image_value, image_kind)}
    table = final_table(execute_segments(program, data, rows_per_segment))
    assert np.all(np.diff(table.addr.astype(np.int64)) > 0)
    assert {int(a) for a in table.addr} == set(image_words) | set(touched)
    for addr, kind, value, t_final, zinit in zip(table.addr.tolist(), table.kind.tolist(),
                                                 table.final_value.tolist(),
                                                 table.t_final.tolist(), table.zinit.tolist()):
        if addr < 32:
            assert value == int(single.registers[addr])
        else:
            assert value == memory.get(addr, 0)
        assert t_final == touched.get(addr, (0, 0))[1]
        assert zinit == (addr not in image_words)
        if addr in image_words:
            assert kind == image_words[addr][1]
    assert table.zinit[:32].tolist() == [0] * 32, "the image holds every register"


@pytest.mark.parametrize("rows_per_segment", (1000, 4093))
def test_local_timestamps_make_each_window_a_trace_of_its_own(rows_per_segment):
    """With local timestamps a window replays on its own from its boundary table's in
    values: each access's prev_ts is the window-local time of the previous access in
    the window, or 0 for the first; no timestamp of another window remains."""
    program = load_elf(GUESTS_DIR / "sha256.elf")
    plan = plan_segments(program, GUEST_RUNS["sha256"], rows_per_segment)
    for segment in plan.segments():
        window, table = segment.window, segment.boundary
        original = window.trace.rows.copy()
        local = local_trace(window).rows
        assert np.array_equal(window.trace.rows, original), "a copy unless in_place"
        memory = {int(a): int(v) for a, v in zip(table.addr, table.in_value)}
        last: dict[int, int] = {}
        for r, row in enumerate(local.astype(np.int64)):
            for s in range(SLOTS):
                if not (int(row[C_MASK]) >> s) & 1:
                    continue
                addr, prev_ts, prev, val = (int(x) for x in row[C_SLOT0 + 4 * s:C_SLOT0 + 4 * s + 4])
                assert prev_ts == last.get(addr, 0) and prev == memory[addr]
                memory[addr] = val
                last[addr] = 4 * (r + 1) + s
        assert last == {int(a): int(t) for a, t in zip(table.addr, table.last_local_ts)}
        assert memory == {int(a): int(v) for a, v in zip(table.addr, table.out_value)}
        unchanged = np.ones(N_COLUMNS, dtype=bool)
        unchanged[[C_SLOT0 + 4 * s + 1 for s in range(SLOTS)]] = False
        assert np.array_equal(local[:, unchanged], original[:, unchanged])
        assert np.array_equal(local_trace(window, in_place=True).rows, local)


def _slow_window_words(rows: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """addr -> (first prev_ts, first prev, last val, last local ts), by the definition."""
    words: dict[int, list[int]] = {}
    for r in range(rows.shape[0]):
        for s in range(SLOTS):
            if (int(rows[r, C_MASK]) >> s) & 1:
                base = C_SLOT0 + 4 * s
                addr = int(rows[r, base])
                if addr not in words:
                    words[addr] = [int(rows[r, base + 1]), int(rows[r, base + 2]), 0, 0]
                words[addr][2:] = [int(rows[r, base + 3]), 4 * (r + 1) + s]
    return {a: tuple(v) for a, v in words.items()}


@pytest.mark.parametrize("seed", range(5))
def test_window_word_kernels_match_the_slow_definition_on_random_rows(seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 2**32, size=(500, N_COLUMNS), dtype=np.uint64).astype(np.uint32)
    rows[:, C_MASK] = rng.integers(0, 256, size=500)
    addresses = np.concatenate([np.arange(32), rng.integers(0x400, WORD_COUNT, size=40)])
    for s in range(SLOTS):
        rows[:, C_SLOT0 + 4 * s] = rng.choice(addresses, size=500)
    entry = np.zeros(WORD_COUNT, dtype=np.int32)
    n = _number_words(rows, entry)
    arrays = [np.zeros(n, dtype=np.int64) for _ in range(5)]
    _fill_words(rows, entry, *arrays)
    addr, in_value, in_ts, out_value, last_ts = arrays
    assert not entry.any(), "the scratch array is clean again"
    got = {int(a): (int(t), int(i), int(o), int(ts))
           for a, i, t, o, ts in zip(addr, in_value, in_ts, out_value, last_ts)}
    assert got == _slow_window_words(rows)


@pytest.mark.parametrize("first_row", (0, 1, 999, 12_345))
def test_localize_kernel_matches_the_slow_definition_on_random_rows(first_row):
    rng = np.random.default_rng(first_row)
    rows = rng.integers(0, 2**32, size=(300, N_COLUMNS), dtype=np.uint64).astype(np.uint32)
    shift = 4 * first_row
    for s in range(SLOTS):           # around the window's first timestamp, and far off
        near = rng.integers(max(shift - 8, 0), shift + 8, size=300)
        rows[:, C_SLOT0 + 4 * s + 1] = np.where(rng.random(300) < 0.5, near,
                                                rows[:, C_SLOT0 + 4 * s + 1] >> 2)
    expected = rows.copy()
    for r in range(rows.shape[0]):
        for s in range(SLOTS):
            prev_ts = int(rows[r, C_SLOT0 + 4 * s + 1])
            expected[r, C_SLOT0 + 4 * s + 1] = prev_ts - shift if prev_ts >= shift + 4 else 0
    _localize(rows, shift)
    assert np.array_equal(rows, expected)


def test_builder_refuses_a_window_of_another_segment_size():
    program = load_elf(GUESTS_DIR / "primes.elf")
    run = execute_segments(program, b"1000", 1000)
    windows = run.windows()
    next(windows)
    with pytest.raises(ValueError, match="starts at row 1000, not at 1 \\* 999"):
        BoundaryTableBuilder(program, 999).table(next(windows))


def test_segment_rows_are_the_real_rows():
    assert segment_rows(10, 99) == 2**10 - 99
    assert segment_rows(20, 99) == 2**20 - 99
    with pytest.raises(ValueError, match="leaves no row"):
        segment_rows(3, 8)
