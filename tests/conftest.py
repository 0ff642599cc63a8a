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
import uuid
from pathlib import Path

# Each pytest-xdist worker gets its own Numba cache: two processes adding entries to
# one cache index at the same moment can leave an entry pointing at another
# signature's machine code (seen here as a segfault on load). Set before anything
# imports Numba, which reads it once. So that the workers do not each compile the
# machine AIR's kernels (minutes), the controlling process fills one cache first with
# ``zkwb warm-up`` (pytest_configure below) and each worker starts from a copy of it.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
_ROOT = Path(__file__).resolve().parents[1]
_CACHES = str(_ROOT / ".numba_cache")
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


_PACKAGE_BUILD = None  # the background packaging/build this process started, if any


def pytest_configure(config) -> None:
    """In the session's first process (xdist's controller, or the only one): start the
    package build in the background if the packaging tests will run, then, for an xdist
    run, fill the warm cache the workers copy."""
    global _PACKAGE_BUILD
    if _WORKER or config.option.collectonly:
        return
    from tests.packaging.deb import can_build, session_run_id, start_in_background
    workers = getattr(config.option, "numprocesses", None)
    if workers and getattr(config.option, "testrunuid", "") is None:
        # The run's ID, which xdist hands its workers (PYTEST_XDIST_TESTRUNUID), chosen
        # now so that the background build records its outcome under the same ID.
        config.option.testrunuid = uuid.uuid4().hex
        os.environ["PYTEST_XDIST_TESTRUNUID"] = config.option.testrunuid
    if _selects_packaging_tests(config) and can_build():
        _PACKAGE_BUILD = start_in_background(session_run_id())
    if not workers or "NUMBA_CACHE_DIR" in os.environ:
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


def _selects_packaging_tests(config) -> bool:
    """Whether the run's paths include tests/packaging, with no -k or -m to narrow them
    (then the packaging fixture builds when, and if, it is reached)."""
    if config.option.keyword or config.option.markexpr:
        return False
    target = (_ROOT / "tests" / "packaging").resolve()
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == target or path in target.parents or target in path.parents:
            return True
    return False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """The packaging tests go last, so that the package builds while the rest run."""
    last = [item for item in items if item.nodeid.startswith("tests/packaging/")]
    if last:
        others = [item for item in items if not item.nodeid.startswith("tests/packaging/")]
        items[:] = others + last


def pytest_sessionfinish(session, exitstatus) -> None:
    """Leave no build behind: wait for it (the packaging tests did), or stop it on Ctrl-C."""
    if _PACKAGE_BUILD is None or _PACKAGE_BUILD.poll() is not None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        _PACKAGE_BUILD.terminate()
    _PACKAGE_BUILD.wait()
