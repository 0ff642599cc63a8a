"""What the trace plots and the profile compute, against slow obviously-correct twins."""
from __future__ import annotations

import numpy as np
import pytest

from engine.runtime.resources import guest_path
from engine.vm import execute, load_elf
from workbench.model.profile import OUTSIDE, cycles_by_function
from workbench.model.trace_data import (CLASS_MULDIV, CLASS_SYSCALL, OPCODE_CLASSES,
                                        TraceView, class_heatmap, memory_accesses,
                                        opcode_classes, register_series)


@pytest.fixture(scope="module")
def sort_run():
    program = load_elf(guest_path("sort"))
    result = execute(program, b"5 3 9 -2 7 1 8", record_trace=True)
    return program, result, TraceView.from_trace(result.trace)


def _class_of(word: int, kind: int) -> str:
    if kind:
        return "syscall"
    major = word & 0x7F
    if major == 0x33:
        return "mul/div" if word >> 25 == 1 else "ALU reg"
    return {0x13: "ALU imm", 0x03: "load", 0x23: "store", 0x63: "branch", 0x6F: "jump",
            0x67: "jump", 0x37: "lui/auipc", 0x17: "lui/auipc", 0x73: "syscall"}.get(major, "other")


def test_opcode_classes_match_a_word_by_word_reference():
    rng = np.random.default_rng(5)
    words = rng.integers(0, 2**32, size=2000, dtype=np.uint64).astype(np.uint32)
    words[:50] = (words[:50] & ~np.uint32(0xFE00007F)) | np.uint32(0x02000033)  # mul/div
    kinds = rng.integers(0, 3, size=2000) * (rng.random(2000) < 0.1)
    classes = opcode_classes(words, kinds)
    expected = [_class_of(int(w), int(k)) for w, k in zip(words, kinds)]
    assert [OPCODE_CLASSES[c] for c in classes] == expected
    assert (classes[:50][kinds[:50] == 0] == CLASS_MULDIV).all()


def test_heatmap_bins_are_shares_that_sum_to_one():
    classes = np.array([CLASS_SYSCALL] * 7 + [0] * 3, dtype=np.uint8)
    heat = class_heatmap(classes, 5)
    assert heat.shape == (len(OPCODE_CLASSES), 5)
    assert np.allclose(heat.sum(axis=0), 1)
    assert heat[CLASS_SYSCALL, 0] == 1 and heat[0, 4] == 1
    assert class_heatmap(np.zeros(0, dtype=np.uint8), 4).sum() == 0


def test_register_series_replays_every_write(sort_run):
    _, result, view = sort_run
    rows = result.trace.rows
    for register in (2, 10, 15):
        cycles, values = register_series(view, register)
        value, expected_cycles, expected_values = (0x0C000000 if register == 2 else 0), [0], []
        expected_values.append(value)
        for i, row in enumerate(rows):
            mask = int(row[4])
            if mask >> 7 & 1 and int(view.columns["s3_addr"][i]) == register:
                expected_cycles.append(i)
                expected_values.append(int(view.columns["s3_val"][i]))
        assert cycles.tolist() == expected_cycles
        assert values.tolist() == expected_values


def test_memory_scatter_keeps_at_most_the_point_budget(sort_run):
    _, _, view = sort_run
    cycles, addresses, is_store, stride = memory_accesses(view, max_points=100)
    assert len(cycles) <= 100 and stride > 1
    assert (addresses >= 0x1000).all() and is_store.any() and (~is_store).any()
    full = memory_accesses(view)
    assert full[3] == 1 and (np.diff(full[0]) > 0).all()


def _reference_profile(pc, program):
    """Innermost sized function (latest start, then smallest); a lone size-0 label
    owns its own address."""
    sized = [s for s in program.symbols if s.size > 0]
    starts = {s.address for s in sized}
    lone = [s for s in program.symbols if s.size == 0 and s.address not in starts]
    counts = {}
    for value in pc.tolist():
        candidates = [(s.address, s.size) for s in sized if s.address <= value < s.address + s.size]
        candidates += [(s.address, 1) for s in lone if s.address == value]
        key = max(candidates, key=lambda c: (c[0], -c[1])) if candidates else None
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize("guest, data", [("sort", b"5 3 9 -2 7 1 8"), ("hello", b"hi"),
                                         ("primes", b"2000")])
def test_profile_matches_symbol_lookup_and_sums_to_the_cycles(guest, data):
    program = load_elf(guest_path(guest))
    result = execute(program, data, record_trace=True)
    pc = result.trace.column("pc")
    lines = cycles_by_function(pc, program.symbols)
    assert sum(line.cycles for line in lines) == result.cycles
    got = {(None if line.name == OUTSIDE else (line.address, line.size)): line.cycles
           for line in lines}
    assert got == _reference_profile(pc, program)
    assert [line.cycles for line in lines] == sorted((line.cycles for line in lines),
                                                      reverse=True)


def test_profile_of_aliases_and_nested_functions():
    class S:
        def __init__(self, name, address, size):
            self.name, self.address, self.size = name, address, size
    symbols = [S("free", 100, 20), S("__free", 100, 20), S("cfree", 100, 0),
               S("outer", 200, 40), S("inner", 220, 8), S("label", 300, 0)]
    pc = np.array([100, 116, 200, 220, 224, 228, 236, 240, 50, 300])
    lines = {line.name: line for line in cycles_by_function(pc, symbols)}
    assert lines["free"].cycles == 2 and lines["free"].aliases == ("cfree", "__free")
    assert lines["label"].cycles == 1
    assert lines["outer"].cycles == 3 and lines["inner"].cycles == 2
    assert lines[OUTSIDE].cycles == 2


def test_envelope_keeps_every_bucket_extreme_and_is_raw_when_zoomed_in():
    from workbench.model.lod import envelope
    rng = np.random.default_rng(3)
    y = rng.integers(0, 1000, size=100_000).astype(np.uint32)
    y[54_321] = 5000                                  # one spike must survive
    xs, ys, exact = envelope(y, buckets=500)
    assert not exact and len(xs) <= 1000 and ys.max() == 5000 and ys.min() == y.min()
    starts = xs[0::2].astype(np.int64)
    bounds = np.append(starts, len(y))
    for i in range(0, len(starts), 37):
        chunk = y[bounds[i]:bounds[i + 1]]
        assert (ys[2 * i], ys[2 * i + 1]) == (chunk.min(), chunk.max())
    xs, ys, exact = envelope(y, x_min=1000, x_max=1100, buckets=500)
    assert exact and xs[0] <= 1000 and xs[-1] >= 1100
    assert np.array_equal(ys, y[xs.astype(np.int64)])


def test_envelope_of_an_irregular_series_covers_the_view():
    from workbench.model.lod import envelope
    x = np.cumsum(np.random.default_rng(4).integers(1, 50, size=20_000))
    y = np.sin(x / 1000.0)
    xs, ys, exact = envelope(y, x, x_min=x[5000], x_max=x[15000], buckets=100)
    assert not exact and xs[0] <= x[5000] and xs[-1] >= x[14_900]
    inside = (x >= x[5000]) & (x <= x[15000])
    assert ys.max() >= y[inside].max() and ys.min() <= y[inside].min()
