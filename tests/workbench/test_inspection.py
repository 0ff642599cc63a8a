"""Looking inside a run: profile, disassembly, trace plots, exports."""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.vm.asm import TEXT_BASE, Asm
from tests.workbench.helpers import execute_and_wait
from workbench.model.disassembly import branch_target, disassemble_around, function_label
from workbench.model.files import atomic_path, save_trace_npz
from workbench.views.trace_plot import CLASSES, COLUMN, MEMORY, PC, REGISTER


def test_profile_in_the_window_sums_to_the_cycle_count(window, qtbot):
    window.open_sample("sort")
    result = execute_and_wait(qtbot, window)
    assert window.profile.total == result["cycles"]
    assert sum(line.cycles for line in window.profile.lines) == result["cycles"]
    assert window.profile.table.rowCount() == len(window.profile.lines)
    assert window.profile.lines[0].name == "main"


def test_disassembly_of_a_known_pc():
    asm = Asm()
    asm.op("addi", 5, 0, 42)          # 0x10000
    asm.op("mul", 6, 5, 5)            # 0x10004
    asm.jal(0, -8)                    # 0x10008: back to 0x10000
    asm.emit(0x00100073)              # 0x1000c: ebreak
    program = load_elf(asm.elf())
    lines = disassemble_around(program, TEXT_BASE + 4, before=1, after=2)
    assert [line.address for line in lines] == [0x10000, 0x10004, 0x10008, 0x1000C]
    assert (lines[0].mnemonic, lines[0].operands) == ("addi", "t0, zero, 0x2a")
    assert (lines[1].mnemonic, lines[1].operands) == ("mul", "t1, t0, t0")
    assert lines[2].target == 0x10000 and "→ 0x00010000" in lines[2].text()
    assert lines[3].mnemonic == "ebreak"


def test_disassembly_names_functions_and_branch_targets():
    program = load_elf(guest_path("sort"))
    main = next(s for s in program.symbols if s.name == "main")
    lines = disassemble_around(program, main.address + 8)
    at = {line.address: line for line in lines}
    assert at[main.address + 8].function == "main+0x8"
    assert at[main.address].function == "main"
    assert function_label(program.symbols, main.address + 4) == "main+0x4"
    # beq x0, x0, -16 at 0x100 lands at 0xf0; jal ra, +2048 at 0x100 lands at 0x900.
    assert branch_target(0x100, 0xFE0008E3) == 0xF0
    assert branch_target(0x100, 0x001000EF | (0x400 << 20) & 0x7FE00000) is not None


def test_picking_a_cycle_in_the_trace_shows_its_pc_in_the_disassembly(window, qtbot):
    window.open_sample("sort")
    execute_and_wait(qtbot, window)
    view = window.trace_plot.view
    cycle = view.rows // 2
    window.trace_plot.select_cycle(cycle)
    pc = int(view.columns["pc"][cycle])
    assert window.disassembly.pc == pc
    assert f"▶ 0x{pc:08x}" in window.disassembly.text()


def test_every_trace_plot_draws_for_an_execution(window, qtbot):
    window.open_sample("primes")
    execute_and_wait(qtbot, window)
    plot = window.trace_plot
    for kind in (PC, REGISTER, MEMORY, CLASSES, COLUMN):
        plot.set_kind(kind, register=2, column="s2_addr")
        assert plot.message() == "" and plot.plot_items() or kind == CLASSES, kind
    plot.set_kind(CLASSES)
    assert plot.view.heatmap.shape[1] == 512


def test_exported_trace_loads_back_without_pickle(window, qtbot, tmp_path):
    window.open_sample("fibonacci")
    result = execute_and_wait(qtbot, window)
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "fib-trace.npz"
    with qtbot.waitSignal(window.exportFinished, timeout=30_000):
        assert window.export_trace(str(path))
    with np.load(path, allow_pickle=False) as data:
        names = list(data["columns"])
        assert names[0] == "pc" and len(data["pc"]) == result["cycles"]
        assert bytes(data["image_id"]).hex() == result["image_id"]
        assert np.array_equal(data["pc"], window.last_outcome.trace.columns["pc"])
    assert os.listdir(tmp_path / "out") == ["fib-trace.npz"]


def test_plot_exports_as_png(window, qtbot, tmp_path):
    execute_and_wait(qtbot, window)
    path = tmp_path / "trace.png"
    assert window.export_plot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_failed_save_leaves_the_previous_file_untouched(tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "keep.npz"
    target.write_bytes(b"previous")

    class Broken:
        columns = {"pc": object()}  # noqa: RUF012

    with pytest.raises(TypeError, match="not integers"):
        save_trace_npz(str(target), Broken())
    assert target.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]
    with atomic_path(str(tmp_path / "new.bin")) as temporary, open(temporary, "wb") as f:
        f.write(b"ok")
    assert (tmp_path / "new.bin").read_bytes() == b"ok"
