"""Workbench tests run offscreen, with settings in a temporary folder."""
from __future__ import annotations

import os

import pytest

from tests.conftest import require_module

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
require_module("pytestqt")

import workbench  # noqa: F401


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp):
    """Keep the user's recent files and geometry out of tests (and tests out of them)."""
    from PySide6.QtCore import QSettings
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    yield


@pytest.fixture
def window(qtbot):
    from workbench import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    return w

