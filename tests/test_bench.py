"""``zkwb bench``: section selection, the child processes, the start-up section.

The child processes must start the same way in a Python environment and in the
PyInstaller-frozen package, whose ``sys.executable`` is the ``zkwb`` launcher.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import engine.cli.bench
from engine.cli.bench import SECTIONS, run_all, selected_sections
from engine.cli.bench.children import child_command, cli_command
from engine.cli.bench.startup import empty_cache_env, folder_bytes, workbench_executable
from engine.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def frozen(monkeypatch, tmp_path):
    """Pretend to be the frozen package installed in ``tmp_path``."""
    launcher = tmp_path / "zkwb"
    launcher.write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(launcher))
    return tmp_path


@pytest.fixture
def not_frozen(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)


# --- how child processes start ----------------------------------------------------------

def test_child_command_runs_the_launcher_itself_when_frozen(frozen):
    assert child_command("prove-sha256", "700") == [
        sys.executable, "bench", "--child", "prove-sha256", "700"]
    assert cli_command("--version") == [sys.executable, "--version"]


def test_child_command_runs_python_m_engine_in_a_python_environment(not_frozen):
    assert child_command("prove-sha256", "700") == [
        sys.executable, "-m", "engine", "bench", "--child", "prove-sha256", "700"]
    assert cli_command("verify", "r.zkr") == [sys.executable, "-m", "engine", "verify", "r.zkr"]


def test_no_section_starts_python_c_which_the_frozen_launcher_lacks():
    for name in SECTIONS:
        with open(os.path.join(ROOT, "engine", "cli", "bench", f"{name}.py")) as file:
            assert '"-c"' not in file.read(), name


def test_bench_child_rejects_an_unknown_routine(capsys):
    assert main(["bench", "--child", "no-such-routine"]) == 2
    assert "executor-load-and-run" in capsys.readouterr().err


def test_executor_child_prints_the_seconds_the_parent_reads(tmp_path):
    from engine.cli.bench.executor import _fresh_process_seconds
    assert 0 < _fresh_process_seconds(str(tmp_path)) < 300


def test_stark_child_verifies_a_proof_and_reports_its_timings():
    from engine.cli.bench.stark import _fresh_process_verify
    from engine.stark.examples import wide
    from engine.stark.params import ProofParams
    from engine.stark.proof import encode_proof
    from engine.stark.protocol import trace_shape
    from engine.stark.prover import prove
    columns = 24
    witness = wide.honest_witness(trace_shape(1 << 10, ProofParams()),
                                  np.random.default_rng(5), columns)
    proof = prove(wide.build_air(columns), witness.main, public_values=witness.publics)
    figures = _fresh_process_verify(encode_proof(proof), columns, witness.publics, 1)
    assert figures["valid"] is True
    assert figures["import_ms"] > 0 and figures["verify_ms"] > 0


def test_prove_child_reports_every_figure_the_section_reads():
    from engine.cli.bench.prove import _measure
    figures = _measure(100)
    assert set(figures) >= {"cycles", "trace_rows", "seconds", "khz", "verify_ms",
                            "receipt_bytes", "security_bits", "phases", "peak_rss_mb",
                            "seconds_again", "khz_again", "compile_seconds"}
    assert figures["cycles"] > 0 and figures["peak_rss_mb"] > 0


def test_continuations_child_proves_and_verifies_a_run_of_many_segments():
    from engine.cli.bench import continuations
    figures = continuations.measure(3000, 10)    # 19,705 cycles: 22 segments of 2^10 rows
    assert figures["cycles"] == 19_705 and figures["segment_rows"] == 1024
    assert figures["segments"] >= -(-figures["cycles"] // 1024)   # at most 2^10 rows each
    assert figures["seconds"] > 0 and figures["khz"] > 0 and figures["verify_ms"] > 0
    assert figures["receipt_bytes"] > 0 and figures["peak_rss_mb"] > 0
    assert figures["compile_seconds"] >= 0


def test_continuations_section_reports_flat_figures_per_segment(monkeypatch):
    from engine.cli.bench import continuations
    from engine.prover import DEFAULT_LOG_SEGMENT_HEIGHT
    asked = []

    def fake_measure(limit, log_segment_height):
        asked.append((limit, log_segment_height))
        return {"cycles": 1000, "segments": 4, "segment_rows": 1 << log_segment_height,
                "seconds": 2.0, "khz": 0.5, "verify_ms": 10.0, "receipt_bytes": 4000,
                "compile_seconds": 0.0, "peak_rss_mb": 100.0}

    monkeypatch.setattr(continuations, "measure", fake_measure)
    quick = continuations.run(True)
    assert asked == [(continuations.QUICK_LIMIT, 16)]
    assert quick["cont_segment_rows"] == 1 << 16
    assert quick["cont_verify_ms_per_segment"] == 2.5
    assert quick["cont_receipt_bytes_per_segment"] == 1000
    assert all(not isinstance(v, (dict, list)) for v in quick.values())
    assert set(quick) == {f"cont_{name}" for name in (
        "guest", "cycles", "segments", "segment_rows", "khz", "seconds", "peak_rss_mb",
        "verify_ms", "verify_ms_per_segment", "receipt_bytes", "receipt_bytes_per_segment",
        "compile_seconds")}
    continuations.run(False)
    assert asked[-1] == (continuations.FULL_LIMIT, DEFAULT_LOG_SEGMENT_HEIGHT)
    assert SECTIONS.index("continuations") == SECTIONS.index("prove") + 1

# --- --only -----------------------------------------------------------------------------

def test_only_rejects_an_unknown_section_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--only", "ntt,warp-drive"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unknown bench section 'warp-drive'" in err and "startup" in err


def test_only_rejects_an_empty_list(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--only", ","])
    assert exit_.value.code == 2


def test_only_passes_the_sections_in_their_usual_order(monkeypatch, capsys):
    seen = {}

    def fake_run_all(quick, only, log):
        seen.update(quick=quick, only=only)
        return {"quick": quick}

    monkeypatch.setattr(engine.cli.bench, "run_all", fake_run_all)
    assert main(["bench", "--only", "startup, ntt,ntt", "--quick", "--json"]) == 0
    assert seen == {"quick": True, "only": ("ntt", "startup")}
    assert json.loads(capsys.readouterr().out) == {"quick": True}


def test_run_all_runs_only_the_selected_sections(monkeypatch):
    for name in SECTIONS:
        fake = types.ModuleType(f"engine.cli.bench.{name}")
        fake.run = lambda quick, name=name: {f"{name}_ran": quick}
        monkeypatch.setitem(sys.modules, f"engine.cli.bench.{name}", fake)
    results = run_all(quick=True, only=["merkle", "executor"])
    assert [k for k in results if k.endswith("_ran")] == ["executor_ran", "merkle_ran"]
    assert "executor_bench_seconds" in results and "ntt_ran" not in results
    with pytest.raises(ValueError, match="unknown bench section"):
        selected_sections(["stark", "nope"])


# --- the startup section ----------------------------------------------------------------

def test_startup_is_the_last_section():
    assert SECTIONS[-1] == "startup"


def test_empty_cache_env_puts_every_cache_under_the_new_home(tmp_path):
    home = str(tmp_path / "home")
    env = empty_cache_env(home)
    for key in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "NUMBA_CACHE_DIR",
                "ZKWB_CACHE_DIR"):
        assert env[key].startswith(home), key
    assert os.listdir(env["XDG_CACHE_HOME"]) == []


def test_a_frozen_cold_start_leaves_numba_to_the_runtime_hook(frozen, tmp_path, monkeypatch):
    # The package's hook (engine.runtime.kernel_cache.configure) seeds the new home with the
    # shipped kernels only when nobody set NUMBA_CACHE_DIR.
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    env = empty_cache_env(str(tmp_path / "home"))
    assert "NUMBA_CACHE_DIR" not in env and "ZKWB_CACHE_DIR" not in env
    assert env["XDG_CACHE_HOME"].startswith(str(tmp_path / "home"))


def test_frozen_workbench_is_the_launchers_sibling(frozen):
    assert workbench_executable() is None
    sibling = frozen / "zkwb-workbench"
    sibling.write_bytes(b"")
    sibling.chmod(0o755)
    assert workbench_executable() == os.path.realpath(sibling)


def test_workbench_in_a_python_environment_is_the_script_beside_the_interpreter(
        not_frozen, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert workbench_executable() is None
    script = tmp_path / "zkwb-workbench"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert workbench_executable() == str(script)


def test_folder_bytes_is_the_apparent_size_without_following_links(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 1000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5000)
    os.symlink(tmp_path / "sub" / "b", tmp_path / "link")
    du = subprocess.run(["du", "-sb", str(tmp_path)], capture_output=True, text=True,
                        check=True)
    assert folder_bytes(str(tmp_path)) == int(du.stdout.split()[0])


def test_bench_only_startup_quick_times_the_commands_of_this_tree():
    done = subprocess.run([sys.executable, "-m", "engine", "bench", "--only", "startup",
                           "--quick", "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    for key in ("startup_cli_version_seconds", "startup_verify_cold_seconds",
                "startup_verify_warm_seconds"):
        assert isinstance(figures[key], float) and figures[key] > 0, key
    assert figures["startup_frozen"] is False and figures["startup_install_mib"] is None
    workbench = ("startup_workbench_cold_seconds", "startup_workbench_warm_seconds",
                 "startup_workbench_version_seconds")
    if workbench_executable() is None:
        assert all(figures[key] is None for key in workbench)
    else:
        assert all(figures[key] > 0 for key in workbench)
    assert "startup_prove_cold_seconds" not in figures       # quick skips it
    assert not any(key.startswith(("executor_", "ntt_", "stark_")) for key in figures)
