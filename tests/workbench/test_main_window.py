"""The main window: a sample at start, program facts, the private input, settings, polish."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QPlainTextEdit, QProgressBar, QToolButton, QWidget

from engine.runtime.resources import guest_path
from workbench import MainWindow
from workbench.model.private_input import HEX, NOT_TEXT, TEXT
from workbench.views import theme
from workbench.views.about import versions
from workbench.views.settings import Settings


def test_window_starts_with_a_sample_loaded_and_its_input(window):
    assert window.program is not None
    assert window.program.name == "hello.elf"
    assert window.program.image_id_hex in window.program_panel.text()
    assert window.private_input() == b"Hello, ZK Workbench!"
    assert window.actions.execute.isEnabled()


def test_the_sample_shown_at_start_is_not_an_expected_program(window):
    assert window.expected_program is None
    assert window.open_program(guest_path("sort"))
    assert window.expected_program is window.program
    assert not window.open_program(guest_path("sort") + ".missing")
    assert window.expected_program.name == "sort.elf"        # a failed open keeps it
    window.open_sample("fibonacci", expected=False)
    assert window.expected_program is None


def test_widgets_named_in_the_automation_contract_exist(window):
    for name in ("tracePlot", "queryPlot", "verifyResult"):
        assert window.findChild(QWidget, name) is not None, name
    assert window.findChild(QPlainTextEdit, "journalView") is not None
    assert window.findChild(QProgressBar, "progressBar") is not None


def test_opened_program_shows_entry_segments_symbols_size_and_image_id(window):
    assert window.open_program(guest_path("sort"))
    program = window.program
    text = window.program_panel.text()
    assert f"0x{program.entry:08x}" in text
    assert f"{program.file_size:,} bytes" in text
    assert program.image_id_hex in text
    assert window.program_panel.segment_count() == len(program.load_segments)
    assert window.program_panel.symbol_count() == len(program.symbols)
    assert "sort.elf" in window.windowTitle()


def test_opening_a_non_program_keeps_the_window_usable(window, tmp_path):
    before = window.program
    bad = tmp_path / "notes.elf"
    bad.write_bytes(b"just text")
    assert not window.open_program(str(bad))
    assert window.program is before
    assert "not an ELF" in window.notice()
    assert window.actions.execute.isEnabled()


def test_opened_programs_become_recent_files(window):
    window.open_program(guest_path("sort"))
    window.open_program(guest_path("primes"))
    recent = Settings().recent_files()
    assert recent[:2] == [os.path.abspath(guest_path("primes")),
                          os.path.abspath(guest_path("sort"))]


def test_private_input_as_text_hex_or_file_shows_its_size(window, tmp_path):
    panel = window.input_panel
    window.set_private_input(b"abc")
    assert panel.mode() == TEXT and panel.size_text() == "3 bytes"
    window.set_private_input(b"\x00\xff\x10")
    assert panel.mode() == HEX and panel.hex_text() == "00 ff 10"
    panel.type_hex("de ad 0xBE EF")
    assert window.private_input() == b"\xde\xad\xbe\xef"
    binary = tmp_path / "input.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    assert panel.load_file(str(binary)) == ""
    assert window.private_input() == bytes(range(256)) * 8
    assert "2.0 KiB" in panel.size_text()


def test_bytes_that_are_not_text_stay_hex_when_text_is_chosen_and_say_why(window, qtbot):
    panel = window.input_panel
    window.set_private_input(b"\x00\xff")
    qtbot.mouseClick(panel.findChild(QToolButton, "inputModeText"), Qt.LeftButton)
    assert panel.mode() == HEX and panel.message() == NOT_TEXT
    assert window.private_input() == b"\x00\xff"
    window.set_private_input(b"abc")
    qtbot.mouseClick(panel.findChild(QToolButton, "inputModeHex"), Qt.LeftButton)
    assert panel.mode() == HEX and panel.hex_text() == "61 62 63" and panel.message() == ""


def test_invalid_hex_input_refuses_to_execute_with_the_reason(window):
    window.set_private_input(b"\x01\x02")
    window.input_panel.type_hex("01 0")
    assert "odd number" in window.input_panel.error()
    assert not window.start_execute()
    assert "odd number of hex digits" in window.notice()


def test_window_geometry_is_kept_between_sessions(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(701, 501)  # the offscreen screen is 800x600
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (701, 501)


def _contrast(a, b) -> float:
    def luminance(color):
        channels = []
        for c in (color.redF(), color.greenF(), color.blueF()):
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_light_and_dark_palettes_keep_text_readable():
    from PySide6.QtGui import QColor
    for palette, dark in ((theme.light_palette(), False), (theme.dark_palette(), True)):
        assert theme.is_dark(palette) == dark
        for fg, bg in ((QPalette.Text, QPalette.Base), (QPalette.WindowText, QPalette.Window),
                       (QPalette.ButtonText, QPalette.Button),
                       (QPalette.HighlightedText, QPalette.Highlight)):
            assert _contrast(palette.color(fg), palette.color(bg)) >= 4.5, (dark, fg, bg)
        colors = theme.plot_colors(dark)
        background = QColor(colors["background"])
        assert _contrast(QColor(colors["foreground"]), background) >= 7
        for series in colors["series"] + [colors["passed"], colors["failed"]]:
            assert _contrast(QColor(series), background) >= 3, (dark, series)
        # The neutral verdict is text, on the plot and on the window background.
        for ground in (background, palette.color(QPalette.Window)):
            assert _contrast(QColor(colors["neutral"]), ground) >= 4.5, dark


def test_theme_switch_applies_the_palette_and_is_remembered(window):
    window.set_theme(theme.DARK)
    assert theme.is_dark()
    assert Settings().theme() == theme.DARK
    window.set_theme(theme.LIGHT)
    assert not theme.is_dark()


def test_about_lists_the_versions_it_runs_on():
    found = versions()
    for name in ("zkwb", "Python", "Qt", "numpy", "numba", "pyqtgraph", "capstone"):
        assert found[name] and found[name] != "?", name


def test_many_qt_calls_do_not_use_up_none_or_true(qapp):
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Emitter(QObject):
        changed = Signal(bool)

    label, emitter = QLabel(), Emitter()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(20_000):       # shiboken6 6.12.0 on CPython 3.11 aborts after ~5,000
        label.setText("x")
        emitter.changed.emit(True)
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000
    assert before[0] > 1000


def test_every_menu_gives_each_entry_its_own_shortcut_letter(window):
    def letters(menu):
        keys = []
        for act in menu.actions():
            text = act.text().replace("&&", "")
            if "&" in text:
                keys.append(text[text.index("&") + 1].lower())
        return keys

    menus = [act.menu() for act in window.menuBar().actions() if act.menu()]
    assert len(menus) >= 4
    assert len(set(letters(window.menuBar()))) == len(letters(window.menuBar()))
    for menu in menus:
        keys = letters(menu)
        assert keys and len(set(keys)) == len(keys), (menu.title(), keys)


def test_open_starts_in_the_samples_until_a_file_of_the_users_is_opened(window, tmp_path):
    from workbench.views.settings import samples_folder
    settings = Settings()
    settings._q.remove("lastFolder")
    assert settings.last_folder() == samples_folder()
    assert os.path.isfile(os.path.join(samples_folder(), "hello.elf"))
    elf = tmp_path / "mine.elf"
    elf.write_bytes(open(guest_path("primes"), "rb").read())
    assert window.open_program(str(elf))
    assert Settings().last_folder() == str(tmp_path)


def test_the_open_dialog_lists_the_samples_in_its_sidebar(window, monkeypatch):
    from PySide6.QtCore import QUrl
    from PySide6.QtWidgets import QFileDialog

    from workbench.views import dialogs
    from workbench.views.settings import samples_folder
    shown = []
    monkeypatch.setattr(QFileDialog, "exec",
                        lambda self: shown.append((self.directory().absolutePath(),
                                                   self.sidebarUrls())) or 0)
    before = window.program
    dialogs.ask_open_program(window)
    assert len(shown) == 1 and window.program is before       # cancelled: nothing opened
    _folder, urls = shown[0]
    assert QUrl.fromLocalFile(samples_folder()) in urls


def test_the_window_reopens_the_last_program_the_user_opened(qtbot, tmp_path):
    from workbench import MainWindow
    first = MainWindow()
    qtbot.addWidget(first)
    first.open_sample("primes")
    assert first.close()
    second = MainWindow()                       # the next start
    qtbot.addWidget(second)
    assert second.program.name == "primes.elf" and second.expected_program is second.program
    assert second.private_input() == first.private_input()   # a sample comes with its input
    elf = tmp_path / "mine.elf"
    elf.write_bytes(open(guest_path("sort"), "rb").read())
    assert second.open_program(str(elf))
    elf.unlink()                                # gone by the next start: the default sample
    third = MainWindow()
    qtbot.addWidget(third)
    assert third.program.name == "hello.elf" and third.expected_program is None
