"""The workbench's model loads no Qt: checked at run time in fresh interpreters, and
statically by the import-linter contracts in pyproject.toml (which
tests/test_architecture.py requires to be kept)."""
from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import pytest

import workbench.model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph", "superqt")
MODEL = sorted(info.name for info in pkgutil.iter_modules(workbench.model.__path__,
                                                          "workbench.model."))

# Imports module argv[1], then prints the loaded modules of the packages in argv[2:].
_LOADED = """
import importlib, sys
importlib.import_module(sys.argv[1])
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2:])))
"""


def test_the_model_is_every_qt_free_part_of_the_workbench():
    names = {name.rsplit(".", 1)[1] for name in MODEL}
    assert {"session", "tasks", "trace_data", "profile", "disassembly", "verdict",
            "private_input", "phases", "queries", "reports"} <= names


@pytest.mark.parametrize("module", ["workbench", *MODEL])
def test_importing_it_in_a_fresh_interpreter_loads_no_qt(module):
    out = subprocess.run([sys.executable, "-c", _LOADED, module, *QT], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} loaded {out.stdout.strip()}"

