"""The portable kernel cache the package ships (engine/runtime/kernel_cache.py and
numba_locator.py)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.runtime import kernel_cache
from engine.runtime.kernel_cache import LEVELS, NATIVE, choose_level, configure, seed

ROOT = Path(__file__).resolve().parents[1]
V3 = LEVELS["x86-64-v3"][2]
BASELINE = LEVELS["x86-64"][2]


def test_the_best_shipped_level_the_cpu_runs_is_chosen():
    both = {"x86-64-v3", "x86-64"}
    assert choose_level(both, V3 | BASELINE) == "x86-64-v3"
    assert choose_level(both, (V3 - {"avx2"}) | BASELINE) == "x86-64"
    assert choose_level({"x86-64"}, V3 | BASELINE) == "x86-64"
    assert choose_level({"x86-64-v3"}, BASELINE) == NATIVE
    assert choose_level(set(), V3 | BASELINE) == NATIVE
    assert choose_level(set(), frozenset()) == NATIVE


def test_a_requested_level_must_exist_and_run_on_this_cpu():
    assert choose_level(set(), BASELINE, "x86-64") == "x86-64"
    assert choose_level({"x86-64-v3"}, V3, NATIVE) == NATIVE
    with pytest.raises(ValueError, match="unknown CPU level"):
        choose_level(set(), V3, "x86-64-v9")
    with pytest.raises(ValueError, match="lacks avx2"):
        choose_level({"x86-64-v3"}, V3 - {"avx2"}, "x86-64-v3")


@pytest.mark.skipif(not (sys.platform.startswith("linux") and kernel_cache.is_x86_64()),
                    reason="/proc/cpuinfo names are read on Linux x86-64 only")
def test_cpuinfo_flags_agree_with_llvm_on_the_features_the_levels_need():
    import llvmlite.binding as ll
    llvm = ll.get_host_cpu_features()
    ours = kernel_cache.host_features()
    for name in V3 | BASELINE:
        assert (name in ours) == bool(llvm.get(name)), name


def test_seeding_copies_once_and_whole(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    (shipped / "numba" / "bundle").mkdir(parents=True)
    (shipped / "numba" / "bundle" / "k.nbi").write_bytes(b"index")
    target = tmp_path / "home" / "0.1.0" / "x86-64"
    assert seed(shipped, target)
    assert (target / "numba" / "bundle" / "k.nbi").read_bytes() == b"index"
    (target / "numba" / "bundle" / "k.nbi").write_bytes(b"grown since")
    assert not seed(shipped, target), "an existing cache is never replaced"
    assert (target / "numba" / "bundle" / "k.nbi").read_bytes() == b"grown since"
    assert not seed(tmp_path / "nothing-shipped", tmp_path / "home" / "other")
    assert not (tmp_path / "home" / "other").exists()

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(shutil, "copytree", broken)
    assert not seed(shipped, tmp_path / "home" / "0.1.0" / "lost")
    assert sorted(p.name for p in (tmp_path / "home" / "0.1.0").iterdir()) == ["x86-64"], \
        "a failed copy left a partial folder behind"


def _bundle(tmp_path: Path, levels: tuple[str, ...]) -> Path:
    bundle = tmp_path / "bundle"
    for level in levels:
        (bundle / kernel_cache.SHIPPED_FOLDER / level / "numba").mkdir(parents=True)
    return bundle


def test_configure_seeds_the_users_cache_and_points_numba_at_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(kernel_cache, "host_features", lambda: BASELINE)
    monkeypatch.setattr(kernel_cache, "is_x86_64", lambda: True)
    env: dict[str, str] = {}
    assert configure(_bundle(tmp_path, ("x86-64-v3", "x86-64")), "9.9", env) == "x86-64"
    root = tmp_path / "xdg" / "zkwb" / "9.9" / "x86-64"
    assert (root / "numba").is_dir() and (root / "kernels").is_dir()
    assert env["NUMBA_CACHE_DIR"] == str(root / "numba")
    assert env["ZKWB_CACHE_DIR"] == str(root / "kernels")
    assert env["NUMBA_CPU_NAME"] == "x86-64"
    assert env["NUMBA_CPU_FEATURES"] == LEVELS["x86-64"][1]
    assert env["NUMBA_CACHE_LOCATOR_CLASSES"].startswith("engine.runtime.numba_locator.")


def test_configure_without_shipped_kernels_compiles_for_this_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    env: dict[str, str] = {}
    assert configure(_bundle(tmp_path, ()), "9.9", env) == NATIVE
    assert "NUMBA_CPU_NAME" not in env and "NUMBA_CPU_FEATURES" not in env
    assert env["NUMBA_CACHE_DIR"] == str(tmp_path / "xdg" / "zkwb" / "9.9" / NATIVE / "numba")


def test_configure_leaves_a_users_own_numba_cache_alone(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}
    assert configure(_bundle(tmp_path, ("x86-64",)), "9.9", env) == NATIVE
    assert env == {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}


def test_configure_builds_into_a_given_root_and_refuses_a_level_the_cpu_lacks(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(kernel_cache, "host_features", lambda: BASELINE)
    monkeypatch.setattr(kernel_cache, "is_x86_64", lambda: True)
    env = {"ZKWB_KERNEL_CACHE_ROOT": str(tmp_path / "out"), "ZKWB_CPU_LEVEL": "x86-64"}
    assert configure(_bundle(tmp_path, ()), "9.9", env) == "x86-64"
    assert env["NUMBA_CACHE_DIR"] == str(tmp_path / "out" / "numba")
    env = {"ZKWB_KERNEL_CACHE_ROOT": str(tmp_path / "out"), "ZKWB_CPU_LEVEL": "x86-64-v3"}
    assert configure(_bundle(tmp_path, ()), "9.9", env) == NATIVE
    assert "cannot run x86-64-v3 code" in capsys.readouterr().err
    assert "NUMBA_CPU_NAME" not in env


# A child process that configures the cache for a copy of the engine and runs one of
# the engine's cached kernels and one generated kernel, printing the compile time.
_CHILD = """
import json, os, sys
from pathlib import Path
from engine.runtime.kernel_cache import configure
configure(Path(sys.argv[1]), "test")
from engine.runtime.compile_time import compile_timer
with compile_timer() as compiling:
    from engine.poly.twiddles import twiddle_tables
    from engine.stark.codegen import row_kernel
    from engine.stark.symbolic import column, mul
    import numpy as np
    twiddle_tables(5)
    kernel = row_kernel([mul(column("main", 0, "a"), column("main", 1, "b"))])
    main = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.uint32)
    out = np.zeros((1, 3), dtype=np.uint32)
    nothing, no_ext = np.zeros((0, 4), dtype=np.uint32), np.zeros((0, 4), dtype=np.uint32)
    kernel(0, 1, 4, main, nothing, nothing, np.zeros(0, np.uint32), no_ext, no_ext, out)
    assert out.tolist() == [[5, 12, 21]], out
print(json.dumps({"compile_seconds": compiling.seconds,
                  "cpu": os.environ.get("NUMBA_CPU_NAME")}))
"""


def _run_copy(copy: Path, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NUMBA_", "ZKWB_")) and k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(copy), ZKWB_KERNEL_CACHE_ROOT=str(cache),
               ZKWB_CPU_LEVEL="x86-64")
    out = subprocess.run([sys.executable, "-c", _CHILD, str(copy)], env=env, cwd=copy,
                         capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.skipif(not kernel_cache.is_x86_64(), reason="the CPU levels are x86-64's")
def test_the_cache_survives_moving_the_install_and_follows_the_sources(tmp_path):
    first = tmp_path / "first"
    shutil.copytree(ROOT / "engine", first / "engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    made = _run_copy(first, cache)
    assert made["compile_seconds"] > 0 and made["cpu"] == "x86-64"
    assert list((cache / "numba" / "bundle" / "engine" / "poly").glob("twiddles.*.nbi"))
    assert list((cache / "numba" / "kernels").glob("zkwb_rows_*.nbi"))

    # Unpacked somewhere else, with the cache copied to another home (as seeding does).
    moved = tmp_path / "elsewhere" / "unpacked"
    moved.parent.mkdir()
    first.rename(moved)
    home = tmp_path / "home" / "cache"
    shutil.copytree(cache, home)
    assert _run_copy(moved, home)["compile_seconds"] == 0, \
        "moving the install or its cache made Numba recompile"

    twiddles = moved / "engine" / "poly" / "twiddles.py"
    twiddles.write_text(twiddles.read_text() + "\n# changed\n")
    assert _run_copy(moved, home)["compile_seconds"] > 0, \
        "a changed source file reused the old machine code"
