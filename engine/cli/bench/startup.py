"""How fast this installation's commands start: each in a fresh process, wall-clock
seconds from spawn to exit.

Cold runs get empty caches: a new temporary folder as ``HOME`` with ``XDG_CACHE_HOME``
and ``XDG_CONFIG_HOME`` inside it; warm runs repeat the command with those caches now
filled. In a Python environment ``NUMBA_CACHE_DIR`` and ``ZKWB_CACHE_DIR`` go there too,
so Numba compiles every kernel. The package ships its kernels compiled
(engine/runtime/kernel_cache.py): a cold run there is a user's first start, which copies them
into the new home (``ZKWB_CPU_LEVEL=native`` measures compiling instead). In the PyInstaller-frozen package the
commands are its ``zkwb`` and ``zkwb-workbench``; in a Python environment,
``python -m engine`` and the ``zkwb-workbench`` script next to the interpreter.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from engine.cli.bench.children import cli_command, is_frozen
from engine.runtime.resources import guest_path

WORKBENCH_NAME = "zkwb-workbench" + (".exe" if os.name == "nt" else "")


def run(quick: bool) -> dict:
    """Time the commands; ``quick`` skips the cold ``zkwb prove`` (minutes).

    Returns ``startup_cli_version_seconds`` (``zkwb --version``, best of 3),
    ``startup_verify_cold_seconds`` / ``startup_verify_warm_seconds`` (``zkwb verify`` of
    a receipt of the ``hello`` guest; warm: best of 2, 3 in the full bench),
    ``startup_workbench_cold_seconds`` / ``startup_workbench_warm_seconds``
    (``zkwb-workbench --quit-after 0``, offscreen) and ``startup_workbench_version_seconds``
    (``zkwb-workbench --version``, best of 3: it must print without loading Qt; all three
    None when no workbench executable is found), ``startup_prove_cold_seconds`` (``zkwb prove`` of ``hello``, full bench only),
    ``startup_frozen`` and ``startup_install_mib`` (the apparent size of the package's
    folder; None outside the package). Raises ``RuntimeError`` if a command fails.
    """
    repeats = 2 if quick else 3
    out: dict = {"startup_cli_version_seconds":
                 _rounded(min(_seconds(cli_command("--version")) for _ in range(3)))}
    with tempfile.TemporaryDirectory(prefix="zkwb-bench-startup-") as work:
        receipt = os.path.join(work, "hello.zkr")
        _write_hello_receipt(receipt)
        verify = cli_command("verify", receipt)
        env = empty_cache_env(os.path.join(work, "verify-home"))
        out["startup_verify_cold_seconds"] = _rounded(_seconds(verify, env))
        out["startup_verify_warm_seconds"] = _rounded(
            min(_seconds(verify, env) for _ in range(repeats)))

        workbench = workbench_executable()
        if workbench is None:
            out["startup_workbench_cold_seconds"] = None
            out["startup_workbench_warm_seconds"] = None
            out["startup_workbench_version_seconds"] = None
        else:
            out["startup_workbench_version_seconds"] = _rounded(
                min(_seconds([workbench, "--version"]) for _ in range(3)))
            command = [workbench, "--quit-after", "0"]
            env = dict(empty_cache_env(os.path.join(work, "workbench-home")),
                       QT_QPA_PLATFORM="offscreen")
            out["startup_workbench_cold_seconds"] = _rounded(_seconds(command, env))
            out["startup_workbench_warm_seconds"] = _rounded(
                min(_seconds(command, env) for _ in range(repeats)))

        if not quick:
            prove = cli_command("prove", guest_path("hello"), "-o",
                                os.path.join(work, "proved.zkr"))
            env = empty_cache_env(os.path.join(work, "prove-home"))
            out["startup_prove_cold_seconds"] = _rounded(_seconds(prove, env))
    frozen = is_frozen()
    out["startup_frozen"] = frozen
    out["startup_install_mib"] = (round(folder_bytes(install_folder()) / 2**20, 1)
                                  if frozen else None)
    return out


def empty_cache_env(home: str) -> dict[str, str]:
    """This process's environment with every cache of zkwb and Numba under ``home``
    (created, empty): ``HOME``, ``XDG_CACHE_HOME``, ``XDG_CONFIG_HOME`` and, outside the
    package, ``NUMBA_CACHE_DIR`` and ``ZKWB_CACHE_DIR`` (engine.stark.codegen); the
    package's runtime hook puts those under ``XDG_CACHE_HOME`` itself, seeded with the
    kernels it ships."""
    cache = os.path.join(home, ".cache")
    os.makedirs(cache, exist_ok=True)
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=cache,
               XDG_CONFIG_HOME=os.path.join(home, ".config"))
    for key in ("NUMBA_CACHE_DIR", "ZKWB_CACHE_DIR"):
        env.pop(key, None)
    if not is_frozen():
        env.update(NUMBA_CACHE_DIR=os.path.join(cache, "zkwb", "numba"),
                   ZKWB_CACHE_DIR=os.path.join(cache, "zkwb", "kernels"))
    return env


def install_folder() -> str:
    """The folder holding the running executable (the package's folder when frozen)."""
    return os.path.dirname(os.path.realpath(sys.executable))


def workbench_executable() -> str | None:
    """The ``zkwb-workbench`` of this installation, or None if there is none.

    Frozen: the sibling of the ``zkwb`` launcher. Otherwise the script next to
    ``sys.executable`` (a virtual environment's ``bin``), not resolving the
    interpreter's symbolic link, which leads out of the environment.
    """
    folder = install_folder() if is_frozen() else os.path.dirname(sys.executable)
    path = os.path.join(folder, WORKBENCH_NAME)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def folder_bytes(folder: str) -> int:
    """Apparent size of ``folder`` and everything under it, as ``du -sb`` counts it;
    symbolic links count as themselves, not as what they point to."""
    total = os.lstat(folder).st_size
    for root, dirs, files in os.walk(folder):
        total += sum(os.lstat(os.path.join(root, name)).st_size for name in dirs + files)
    return total


def _write_hello_receipt(path: str) -> None:
    from engine.api import prove
    from engine.receipt import encode_receipt
    from engine.vm import load_elf
    with open(path, "wb") as file:
        file.write(encode_receipt(prove(load_elf(guest_path("hello"))).receipt))


def _seconds(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds from starting ``command`` to its exit; it must exit with 0."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with status {done.returncode}: "
                           f"{done.stderr.strip()[-2000:]}")
    return elapsed


def _rounded(seconds: float) -> float:
    return round(seconds, 3)
