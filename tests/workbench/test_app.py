"""zkwb-workbench's entry point: its options, Qt's options, closing on SIGTERM."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import engine
from tests.workbench.ready import READY, terminate_when_ready
from workbench.app import READY_LINE, split_qt_options

LAUNCH = "import sys; from workbench.app import main; sys.exit(main())"


def _env(tmp_path):
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
                XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))


def _workbench(tmp_path, *args, **kwargs):
    return subprocess.Popen([sys.executable, "-c", LAUNCH, *args], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_qt_options_are_passed_on_with_their_values():
    ours, qt = split_qt_options(["-platform", "offscreen", "r.zkr", "--quit-after", "1",
                                 "-reverse", "-style", "Fusion"])
    assert ours == ["r.zkr", "--quit-after", "1"]
    assert qt == ["-platform", "offscreen", "-reverse", "-style", "Fusion"]


def test_version_prints_without_a_window(tmp_path):
    out = _workbench(tmp_path, "--version").communicate(timeout=300)
    assert out[0].decode().strip() == f"zkwb-workbench {engine.__version__}"


def test_version_loads_neither_qt_nor_numba():
    """``zkwb-workbench --version`` prints a string: Qt, pyqtgraph and Numba stay unloaded
    (loading them made it take seconds, issue 16)."""
    probe = ("import sys\n"
             "from workbench.app import main\n"
             "try:\n"
             "    main(['zkwb-workbench', '--version'])\n"
             "except SystemExit:\n"
             "    pass\n"
             "print(sorted(m for m in ('PySide6', 'pyqtgraph', 'numba', 'numpy') "
             "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.splitlines() == [f"zkwb-workbench {engine.__version__}", "[]"]


@pytest.mark.parametrize("args", [["--bogus"], ["--quit-after", "soon"], ["--quit-after", "-1"]])
def test_bad_options_exit_2_with_a_usage_message(tmp_path, args):
    proc = _workbench(tmp_path, *args)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert b"usage: zkwb-workbench" in err


def test_quit_after_closes_the_window_and_exits_0(tmp_path):
    proc = _workbench(tmp_path, "--quit-after", "0.5")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert READY.encode() in err.splitlines()


def test_the_ready_line_is_the_documented_one():
    assert READY_LINE == READY


def test_sigterm_closes_the_window_like_its_close_button(tmp_path):
    proc = _workbench(tmp_path)
    settings = tmp_path / "config" / "zkwb" / "workbench.ini"

    def settings_not_yet_saved():
        assert not settings.exists()

    err = terminate_when_ready(proc, 300, on_ready=settings_not_yet_saved)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert settings.is_file(), "closing saves the window geometry"


def test_a_file_open_event_opens_the_file_like_a_drop(window, qapp):
    from PySide6.QtGui import QFileOpenEvent

    from engine.runtime.resources import guest_path
    from workbench.app import file_open_handler

    handler = file_open_handler(window, qapp)
    qapp.installEventFilter(handler)
    try:
        qapp.sendEvent(qapp, QFileOpenEvent(guest_path("sort")))
    finally:
        qapp.removeEventFilter(handler)
    assert window.program is not None and window.program.name == "sort.elf"
