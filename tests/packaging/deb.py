"""The Debian package, built once per test run, started as the session starts.

``packaging/build`` takes minutes (a pinned build venv, PyInstaller, the kernels of two
CPU levels, dpkg-deb). Built inside the first packaging test, it would keep one worker
busy while the rest of the suite ends on the other. So the session's first process
starts it in the background (:func:`start_in_background`, from ``tests/conftest.py``),
the packaging tests are collected last, and their fixture waits for the build by
taking its lock (:func:`build_once`): whichever process takes the lock first builds;
the other finds the outcome recorded for this run and reuses it.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parents[2]
DEB = ROOT / "dist" / f"zkwb_{engine.__version__}_amd64.deb"
LOCK = ROOT / "build" / "package.lock"
OUTCOME = ROOT / "build" / "package" / "built-for-test-run"
LOG = ROOT / "build" / "package-test-build.log"
TOOLS = ("dpkg-deb", "strip", "objdump", "file")


def host_has_avx2() -> bool:
    """packaging/build's test for building the x86-64-v3 level."""
    return " avx2 " in Path("/proc/cpuinfo").read_text().replace("\n", " ")


def host_level() -> str:
    """The level the installed package picks on this CPU from all the shipped ones: the
    runtime's own choice (``engine.runtime.kernel_cache.choose_level``)."""
    from engine.runtime.kernel_cache import LEVELS, choose_level, host_features
    return choose_level(set(LEVELS), host_features())


def shipped_levels() -> set[str]:
    """The CPU levels whose kernels the package under test ships: a release build has
    every level this machine can build; the suite's own build only the one this CPU
    runs (``ZKWB_PACKAGE_LEVELS``: the others compile the same kernels for another
    target, minutes each, and this machine could not run them)."""
    if "ZKWB_PACKAGE_DEB" in os.environ:
        return {"x86-64-v3", "x86-64"} if host_has_avx2() else {"x86-64"}
    return {host_level()}


def session_run_id() -> str:
    """The same string in every process of one pytest run (xdist's run ID)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


def build_once(run_id: str) -> tuple[bool, str]:
    """Build the package unless this run already tried; ``(built, log tail)``.

    Holds the build lock throughout, so a caller that comes while another process builds
    waits for it (a lock, not a timer) and then reads the recorded outcome.
    """
    OUTCOME.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recorded = OUTCOME.read_text().split() if OUTCOME.is_file() else []
        if recorded[1:] != [run_id]:
            env = dict(os.environ, ZKWB_PACKAGE_LEVELS=host_level())
            with open(LOG, "w") as log:
                done = subprocess.run([str(ROOT / "packaging" / "build")], cwd=ROOT, env=env,
                                      stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, timeout=1800, check=False)
            built = done.returncode == 0 and DEB.is_file()
            OUTCOME.write_text(f"{'built' if built else 'failed'} {run_id}\n")
            recorded = OUTCOME.read_text().split()
    tail = LOG.read_text(errors="replace")[-4000:] if LOG.is_file() else "(no build log)"
    return recorded[0] == "built" and DEB.is_file(), tail


def can_build() -> bool:
    """Whether this machine has what ``packaging/build`` needs (or a package is given)."""
    return "ZKWB_PACKAGE_DEB" not in os.environ and all(shutil.which(t) for t in TOOLS)


def start_in_background(run_id: str) -> subprocess.Popen:
    """Start :func:`build_once` in a child process (same process group: Ctrl-C stops it)."""
    return subprocess.Popen([sys.executable, "-m", "tests.packaging.deb", run_id], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(0 if build_once(sys.argv[1])[0] else 1)
