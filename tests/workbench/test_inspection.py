"""Looking inside a run in the window: profile, disassembly, trace plots, exports.

What they compute is tested headless in tests/workbench_model."""
from __future__ import annotations

import os

import numpy as np

from tests.workbench.helpers import execute_and_wait
from workbench.views.trace_plot import CLASSES, COLUMN, MEMORY, PC, REGISTER


def test_profile_in_the_window_sums_to_the_cycle_count(window, qtbot):
    window.open_sample("sort")
    result = execute_and_wait(qtbot, window)
    assert window.profile.total == result["cycles"]
    assert sum(line.cycles for line in window.profile.lines) == result["cycles"]
    assert window.profile.table.rowCount() == len(window.profile.lines)
    assert window.profile.lines[0].name == "main"


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


def test_the_ram_legend_follows_a_theme_switch(window, qtbot):
    from workbench.views import theme
    before = window.settings.theme()
    window.open_sample("primes")
    execute_and_wait(qtbot, window)
    plot = window.trace_plot
    try:
        for name in (theme.LIGHT, theme.DARK):
            window.set_theme(name)
            plot.set_kind(PC)
            plot.set_kind(MEMORY)
            legend = plot.plot.getPlotItem().legend
            assert legend.brush().color().name() == theme.plot_colors()["background"], name
    finally:
        window.set_theme(before)


def test_the_profile_never_shows_a_zero_share_for_a_function_with_cycles(window, qtbot):
    window.open_sample("sha256")
    window.set_private_input(b"x" * 2000)
    execute_and_wait(qtbot, window)
    table = window.profile.table
    shares = {table.item(row, 0).text(): (int(table.item(row, 2).text().replace(",", "")),
                                           table.item(row, 3).text())
              for row in range(table.rowCount())}
    assert any(text == "<0.1%" for _, text in shares.values())     # tiny ones exist
    for name, (cycles, text) in shares.items():
        assert cycles == 0 or text not in ("0%", "0.0%"), name
        assert text.endswith("%"), name


def test_the_pc_axis_names_functions_and_counts_have_separators(window, qtbot):
    """Issue 16, item 5: pc ticks say which function they fall in; cycle counts read
    "100,000", not "100000"."""
    from workbench.views.trace_plot import CountAxis
    execute_and_wait(qtbot, window)
    window.trace_plot.set_kind(PC)
    main = next(s for s in window.program.symbols if s.name == "main")
    labels = window.trace_plot.pc_tick_labels([main.address, main.address + 4, 0x10])
    assert labels[0] == f"0x{main.address:x} main" and labels[1].endswith(" main")
    assert labels[2] == "0x10"
    assert CountAxis("bottom").tickStrings([100000, 250000], 1.0, 50000) == ["100,000",
                                                                             "250,000"]


def test_each_view_explains_itself_and_the_heatmap_has_a_colour_scale(window, qtbot):
    """Issue 16, item 5: one sentence over each picture; a colour scale beside the
    heatmap (and only there); the figures line is wrapped, not cut off."""
    from workbench.model.captions import TRACE_CAPTIONS
    execute_and_wait(qtbot, window)
    plot = window.trace_plot
    for kind in (PC, REGISTER, MEMORY, CLASSES):
        plot.set_kind(kind)
        assert plot.caption() == TRACE_CAPTIONS[kind]
        assert plot.has_color_scale() == (kind == CLASSES), kind
    plot.set_kind(PC)
    assert not plot.has_color_scale()


def test_the_queries_tab_says_what_a_query_is(window):
    from engine import ProofParams
    plot = window.query_plot
    assert plot.caption() == ""                      # nothing drawn yet
    plot.show_fri_layers([1 << 14, 1 << 12, 1 << 10])
    plot.set_query_positions(list(range(43)), 1 << 14)
    caption = plot.caption()
    assert caption.startswith("A query is a spot check at a random position")
    assert f"passing all {ProofParams().num_queries}" in caption


def test_the_profile_bars_say_their_share(window, qtbot):
    execute_and_wait(qtbot, window)
    panel = window.profile
    assert panel.bar_labels and all(text.endswith("%") for text in panel.bar_labels)
