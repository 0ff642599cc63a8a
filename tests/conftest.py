"""Shared test fixtures.

Tests that need an external tool (qemu-riscv32, the RISC-V cross compiler, xvfb) or an
optional module (pytest-qt, PySide6) skip when it is missing on a user's machine
(``require_tool``, ``require_module``), but fail in CI (CI=true), where .ci/run must
have installed it. Caches live in the checkout's ``.numba_cache``, never the home.
"""
from __future__ import annotations

import importlib
import os
import shutil

# Each pytest-xdist worker gets its own Numba cache: two processes adding entries to
# one cache index at the same moment can leave an entry pointing at another
# signature's machine code (seen here as a segfault on load). Set before anything
# imports Numba, which reads it once.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
_CACHE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      ".numba_cache", _WORKER or "main")
if _WORKER and "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = _CACHE
# Generated constraint kernels go beside it, never into the user's ~/.cache/zkwb
# (engine.stark.codegen.kernel_cache_dir); subprocesses the tests start inherit both.
os.environ.setdefault("ZKWB_CACHE_DIR", os.path.join(_CACHE, "kernels"))

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_module(name: str):
    """Import and return module ``name``; skip the test (fail in CI) if it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        message = f"{name} cannot be imported ({e}; scripts/setup test installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)


def require_tool(name: str) -> str:
    """Return the path of executable ``name``; skip the test (fail in CI) if absent."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/setup test installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path
