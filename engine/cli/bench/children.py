"""Child processes of ``zkwb bench``: named routines that measure a fresh process.

Some figures need a process of their own: a cold or warm Numba cache, a process's own
peak memory, what a first import costs. A section starts one with :func:`run_child`,
which runs ``zkwb bench --child NAME ARGS...`` (:func:`child_command`) and returns the
last line the child printed on stdout: a number or a JSON object, as each routine says.

The commands work in the development tree (``python -m engine``) and in the
PyInstaller-frozen package, whose ``sys.executable`` is the ``zkwb`` launcher and
accepts no ``python -c CODE``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

__all__ = ["CHILDREN", "child_command", "cli_command", "is_frozen", "run_child",
           "run_child_routine"]


def is_frozen() -> bool:
    """True in the PyInstaller-built package, False in a Python environment."""
    return bool(getattr(sys, "frozen", False))


def cli_command(*args: str) -> list[str]:
    """The argv that runs ``zkwb ARGS...`` with this installation's engine.

    Frozen: ``[sys.executable, *args]`` (the ``zkwb`` launcher); otherwise
    ``[sys.executable, "-m", "engine", *args]``.
    """
    if is_frozen():
        return [sys.executable, *args]
    return [sys.executable, "-m", "engine", *args]


def child_command(name: str, *args: str) -> list[str]:
    """The argv that runs child routine ``name`` (a key of :data:`CHILDREN`) with ``args``."""
    return cli_command("bench", "--child", name, *args)


def run_child(name: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run child routine ``name`` in a fresh process; the last line of its stdout.

    Raises ``RuntimeError`` (with the end of the child's stderr) if it fails.
    """
    done = subprocess.run(child_command(name, *args), env=None if env is None else dict(env),
                          capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench child {name!r} failed (exit status {done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    return lines[-1]


def run_child_routine(name: str, args: list[str]) -> None:
    """Run routine ``name`` in this process (``zkwb bench --child NAME ARGS...``).

    Raises ``KeyError`` for an unknown name.
    """
    CHILDREN[name](args)


def _executor_load_and_run(args: list[str]) -> None:
    """``ELF``: import the executor, compile or load its kernels, run the guest with a
    trace; prints the seconds all that took."""
    start = time.perf_counter()
    from engine.vm import execute, load_elf
    execute(load_elf(args[0]), b"", record_trace=True)
    print(time.perf_counter() - start)


def _stark_fresh_verify(args: list[str]) -> None:
    """``PROOF COLUMNS PUBLICS_JSON``: import, decode and verify a proof of the wide AIR;
    prints ``{"valid", "import_ms", "verify_ms"}``."""
    start = time.perf_counter()
    import numpy as np

    from engine.stark import decode_proof, verify
    from engine.stark.examples import wide
    imported = time.perf_counter()
    air = wide.build_air(int(args[1]))
    publics = np.array(json.loads(args[2]), dtype=np.uint32)
    with open(args[0], "rb") as file:
        proof = decode_proof(file.read())
    ready = time.perf_counter()
    result = verify(air, proof, public_values=publics)
    done = time.perf_counter()
    print(json.dumps({"valid": result.valid, "import_ms": 1000 * (imported - start),
                      "verify_ms": 1000 * (done - ready)}))


def _prove_sha256(args: list[str]) -> None:
    """``INPUT_BYTES``: prove the ``sha256`` guest on that many bytes after a warm-up
    proof, verify it twice (the second, timed, with the verifier's caches of what it
    computed from public data cleared: a warm process verifying a program it has not
    seen), prove it again (a long-lived process such as the workbench: the memory is no
    longer new to the process); prints the figures and the process's peak memory as
    JSON."""
    import resource

    from engine.api import prove, verify
    from engine.receipt import encode_receipt
    from engine.runtime.resources import guest_path
    from engine.stark.verifier import clear_caches
    from engine.vm import load_elf
    program = load_elf(guest_path("sha256"))
    prove(program, b"warm-up")
    data = bytes(range(256)) * 64
    result = prove(program, data[:int(args[0])])
    blob = encode_receipt(result.receipt)
    verify(result.receipt)
    clear_caches()
    start = time.perf_counter()
    check = verify(result.receipt)
    verify_s = time.perf_counter() - start
    if not check.valid:
        raise RuntimeError(f"benchmark receipt did not verify: {check.reason}")
    again = prove(program, data[:int(args[0])])
    print(json.dumps({"seconds_again": again.seconds, "khz_again": again.khz,
                      "compile_seconds": result.compile_seconds,"cycles": result.execution.cycles, "trace_rows": result.trace_rows,
                      "seconds": result.seconds, "khz": result.khz,
                      "verify_ms": verify_s * 1e3, "receipt_bytes": len(blob),
                      "security_bits": result.receipt.security_bits,
                      "phases": result.phase_seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _prove_continuations(args: list[str]) -> None:
    """``LIMIT LOG_SEGMENT_HEIGHT``: prove the ``primes`` guest on ``LIMIT`` in segments
    of ``2^LOG_SEGMENT_HEIGHT`` rows, after a warm-up proof of a short run in two
    segments of 2^10 rows (verified too, so the verifier's kernels are loaded as well),
    then verify the receipt; prints the figures and the process's peak memory as JSON.
    ``compile_seconds`` is what the measured proof and verification still spent
    compiling (0 with a warm cache)."""
    import resource

    from engine.api import prove, verify
    from engine.receipt import encode_receipt
    from engine.runtime.resources import guest_path, primes_input
    from engine.vm import load_elf
    program = load_elf(guest_path("primes"))
    warm = prove(program, primes_input(200), log_segment_height=10)
    warm_check = verify(warm.receipt, program=program)
    if warm.segments < 2 or not warm_check.valid:
        raise RuntimeError(f"warm-up proof: {warm.segments} segments, {warm_check.reason}")
    start = time.perf_counter()
    result = prove(program, primes_input(int(args[0])), log_segment_height=int(args[1]))
    seconds = time.perf_counter() - start
    check = verify(result.receipt, program=program)
    if not check.valid:
        raise RuntimeError(f"benchmark receipt did not verify: {check.reason}")
    segments = len(result.receipt.segments)
    print(json.dumps({"cycles": result.execution.cycles, "segments": segments,
                      "segment_rows": 1 << int(args[1]), "seconds": seconds,
                      "khz": result.execution.cycles / seconds / 1e3,
                      "verify_ms": check.seconds * 1e3,
                      "receipt_bytes": len(encode_receipt(result.receipt)),
                      "compile_seconds": result.compile_seconds + check.compile_seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _prove_distributed(args: list[str]) -> None:
    """``MODE LIMIT LOG_SEGMENT_HEIGHT``: prove ``primes`` on ``LIMIT`` in segments of
    ``2^LOG_SEGMENT_HEIGHT`` rows in this process (``MODE`` ``local``) or on a
    ``LocalCluster`` of ``MODE`` worker processes, after warm-up proofs of a short run
    (locally, and with workers through the cluster, whose first tasks load the
    workers' kernels); prints the figures as JSON (``engine.cli.bench.distributed``)."""
    import statistics

    from engine.api import prove
    from engine.events import SegmentFinished
    from engine.runtime.resources import guest_path, primes_input
    from engine.vm import load_elf
    program = load_elf(guest_path("primes"))
    mode, limit, log_height = args[0], int(args[1]), int(args[2])
    prove(program, primes_input(200), log_segment_height=10)
    figures = {"cluster_start_seconds": 0.0, "first_task_seconds": 0.0}
    if mode == "local":
        start = time.perf_counter()
        result = prove(program, primes_input(limit), log_segment_height=log_height)
        seconds = time.perf_counter() - start
    else:
        from engine.distributed import connect
        start = time.perf_counter()
        with connect(workers=int(mode)) as client:
            figures["cluster_start_seconds"] = time.perf_counter() - start
            finished = []
            prove(program, primes_input(2000), log_segment_height=10, cluster=client,
                  on_event=lambda e: finished.append(e) if isinstance(e, SegmentFinished)
                  else None)
            by_worker: dict = {}
            for event in finished:
                by_worker.setdefault(event.worker, []).append(event.seconds)
            figures["first_task_seconds"] = max(
                (times[0] - statistics.median(times[1:]) for times in by_worker.values()
                 if len(times) > 1), default=0.0)
            start = time.perf_counter()
            result = prove(program, primes_input(limit), log_segment_height=log_height,
                           cluster=client)
            seconds = time.perf_counter() - start
    print(json.dumps({**figures, "cycles": result.execution.cycles,
                      "segments": result.receipt.segment_count, "seconds": seconds,
                      "khz": result.execution.cycles / seconds / 1e3,
                      "segment_seconds": statistics.median(
                          f.seconds for f in result.segment_figures),
                      "phases": result.phase_seconds,
                      "compile_seconds": result.compile_seconds}))


CHILDREN: dict[str, Callable[[list[str]], None]] = {
    "executor-load-and-run": _executor_load_and_run,
    "stark-fresh-verify": _stark_fresh_verify,
    "prove-sha256": _prove_sha256,
    "prove-continuations": _prove_continuations,
    "prove-distributed": _prove_distributed,
}
