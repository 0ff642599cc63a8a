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
import subprocess
import sys
import tempfile

# Each pytest-xdist worker gets its own Numba cache: two processes adding entries to
# one cache index at the same moment can leave an entry pointing at another
# signature's machine code (seen here as a segfault on load). Set before anything
# imports Numba, which reads it once. So that the workers do not each compile the
# machine AIR's kernels (minutes), the controlling process fills one cache first with
# ``zkwb warm-up`` (pytest_configure below) and each worker starts from a copy of it.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
_CACHES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       ".numba_cache")
_WARM = os.path.join(_CACHES, "warm")
_CACHE = os.path.join(_CACHES, _WORKER or "main")


def _seed_from_warm(target: str) -> None:
    """Copy the warm cache to ``target`` unless ``target`` exists: whole or not at all."""
    if os.path.isdir(target) or not os.path.isdir(_WARM):
        return
    scratch = tempfile.mkdtemp(prefix=".seeding-", dir=_CACHES)
    try:
        shutil.copytree(_WARM, os.path.join(scratch, "cache"), symlinks=True)
        os.rename(os.path.join(scratch, "cache"), target)
    except OSError:
        pass  # another process seeded it first, or the copy failed: Numba fills it
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if _WORKER and "NUMBA_CACHE_DIR" not in os.environ:
    _seed_from_warm(_CACHE)
    os.environ["NUMBA_CACHE_DIR"] = _CACHE
# Generated constraint kernels go beside it, never into the user's ~/.cache/zkwb
# (engine.stark.codegen.kernel_cache_dir): one folder for all processes, since their
# paths key Numba's cache entries and codegen writes each file once, atomically, named
# by its content. Subprocesses the tests start inherit both variables.
os.environ.setdefault("ZKWB_CACHE_DIR", os.path.join(_CACHES, "kernels"))

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


def pytest_configure(config) -> None:
    """In the controlling process of an xdist run, fill the warm cache the workers copy."""
    workers = getattr(config.option, "numprocesses", None)
    if _WORKER or not workers or "NUMBA_CACHE_DIR" in os.environ:
        return
    if os.path.isdir(os.path.join(_CACHES, "gw0")):
        return  # the workers' caches are there from an earlier run: nothing to seed
    os.makedirs(_CACHES, exist_ok=True)
    env = dict(os.environ, NUMBA_CACHE_DIR=_WARM)
    done = subprocess.run([sys.executable, "-m", "engine", "warm-up", "--json"], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # The tests that prove will show what is wrong; the workers compile for themselves.
        config.issue_config_time_warning(pytest.PytestWarning(
            f"zkwb warm-up failed (exit status {done.returncode}), so each worker compiles "
            f"its own kernels: {done.stderr.strip()[-1000:]}"), stacklevel=2)
