"""Distributed proving on real Dask processes, on 127.0.0.1 only (docs/distributed.md):
a scheduler and two ``zkwb worker`` processes started here, a multi-segment run proved
through them and compared with a local proof; a worker killed while it holds a
segment; a worker that returns a corrupted seal; an unreachable scheduler; ``zkwb
prove --workers 2``; Dask never imported by a local proof. Each test waits on states
(a worker's marker file, the scheduler's task list), never on a bare sleep."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import dask
import pytest

from engine.api import prove, verify
from engine.errors import Cancelled, InputError
from engine.events import CancelToken, Progress, SegmentFinished, SegmentStarted
from engine.receipt import decode_receipt, encode_receipt
from tests.distributed.plugins import CorruptOneSeal, HoldFirstSegment
from tests.distributed.support import (INPUT, LOG_HEIGHT, PROVE_TIMEOUT_S, ROOT, Cluster,
                                       free_port, program, wait_for)
from engine.runtime.resources import guest_path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(tmp_path_factory.mktemp("cluster"), workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def local_receipt():
    return prove(program(), INPUT, log_segment_height=LOG_HEIGHT).receipt


def _events():
    events = []
    return events, events.append


def _assert_like_local(receipt, local) -> None:
    """Same claim, segment count, heights, journal positions, parameters and format."""
    assert receipt.segment_count == local.segment_count > 1
    assert (receipt.image_id, receipt.exit_code, receipt.journal) == \
        (local.image_id, local.exit_code, local.journal)
    assert receipt.params == local.params and receipt.security_bits == local.security_bits
    assert [(s.log_trace_height, s.journal_end) for s in receipt.segments] == \
        [(s.log_trace_height, s.journal_end) for s in local.segments]
    assert decode_receipt(encode_receipt(receipt)) == receipt
    assert verify(receipt, program=program()).valid


def _recording_passes(monkeypatch) -> list:
    """The driver's passes over the run that make jobs (their first segment), with the
    driver's own witness generation made to fail: both phases run on the workers."""
    from engine.distributed import driver
    from engine.segments.witness import SegmentWitnesses

    passes, real = [], driver.segment_jobs

    def segment_jobs(planned, first=0, state_in=None):
        passes.append(first)
        return real(planned, first, state_in)

    def no_witness_here(self):
        raise AssertionError("the driver built a segment's witness")

    monkeypatch.setattr(driver, "segment_jobs", segment_jobs)
    monkeypatch.setattr(SegmentWitnesses, "__iter__", no_witness_here)
    return passes


def test_a_run_proved_on_a_cluster_is_a_receipt_like_a_local_one(cluster, local_receipt,
                                                                 tmp_path, monkeypatch):
    passes = _recording_passes(monkeypatch)
    events, on_event = _events()
    # Jobs are large by design: Dask's large-graph warning (here made to fire at 1 kB,
    # below these small segments' jobs) is not printed on the user's terminal.
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1kB"}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = prove(program(), INPUT, log_segment_height=LOG_HEIGHT,
                       cluster=cluster.address, on_event=on_event)
    assert not [w for w in caught if "large graph" in str(w.message)]
    receipt = result.receipt
    _assert_like_local(receipt, local_receipt)
    # Phase one on the workers, one pass over the run: phase two proved every segment
    # from the job its worker kept, none was sent again.
    assert passes == [0]
    committed = [e.fraction for e in events if isinstance(e, Progress) and e.phase == "stage0"]
    assert committed == sorted(committed) and committed[-1] == 1.0
    assert len(committed) == receipt.segment_count
    finished = [e for e in events if isinstance(e, SegmentFinished)]
    assert sorted(e.index for e in finished) == list(range(receipt.segment_count))
    with cluster.client() as client:
        addresses = set(client.scheduler_info(n_workers=-1)["workers"])
    assert {e.worker for e in finished} <= addresses
    assert all(isinstance(e, SegmentStarted) and e.worker in addresses
               for e in events if isinstance(e, SegmentStarted))
    # `zkwb verify` cannot tell it from a local receipt.
    path = tmp_path / "r.zkr"
    path.write_bytes(encode_receipt(receipt))
    done = subprocess.run([sys.executable, "-m", "engine", "verify", str(path), "--elf",
                           guest_path("sha256"), "--json"], capture_output=True, text=True,
                          cwd=ROOT, timeout=PROVE_TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["valid"] and verdict["segments"] == receipt.segment_count


def test_a_worker_killed_while_it_proves_a_segment_costs_only_that_segment(tmp_path,
                                                                           local_receipt,
                                                                           monkeypatch):
    passes = _recording_passes(monkeypatch)
    marker = tmp_path / "held"
    with Cluster(tmp_path, workers=2) as running, running.client() as client:
        client.register_plugin(HoldFirstSegment("w0", str(marker)), name="hold")
        outcome = {}

        def run() -> None:
            try:
                outcome["result"] = prove(program(), INPUT, log_segment_height=LOG_HEIGHT,
                                          cluster=client)
            except BaseException as e:  # noqa: BLE001 - handed to the test thread
                outcome["error"] = e

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        held = wait_for(lambda: marker.exists() and marker.read_text(), PROVE_TIMEOUT_S,
                        "worker w0 to start a segment", poll=0.02)
        pid, _segment = (int(v) for v in held.split())
        assert pid == running.workers["w0"].pid
        os.kill(pid, signal.SIGKILL)
        thread.join(PROVE_TIMEOUT_S)
        assert not thread.is_alive(), running.logs()
        assert "error" not in outcome, (outcome.get("error"), running.logs())
        assert running.workers["w0"].wait(30) == -signal.SIGKILL
    _assert_like_local(outcome["result"].receipt, local_receipt)
    # The segments whose jobs died with w0 were sent again, whole, each on its own.
    resent = passes[1:]
    assert passes[0] == 0 and resent and len(set(resent)) == len(resent)


def test_a_corrupted_seal_is_detected_and_proved_again(tmp_path, local_receipt, caplog):
    marker = tmp_path / "corrupted"
    with Cluster(tmp_path, workers=2) as running, running.client() as client:
        client.register_plugin(CorruptOneSeal(str(marker)), name="corrupt")
        events, on_event = _events()
        with caplog.at_level(logging.WARNING, logger="engine.distributed.driver"):
            result = prove(program(), INPUT, log_segment_height=LOG_HEIGHT, cluster=client,
                           on_event=on_event)
    assert marker.exists()
    warned = [r.getMessage() for r in caplog.records if "proving it again" in r.getMessage()]
    assert len(warned) == 1, warned
    started = [e.index for e in events if isinstance(e, SegmentStarted)]
    assert len(started) == result.receipt.segment_count + 1   # one segment started twice
    _assert_like_local(result.receipt, local_receipt)


def test_an_unreachable_scheduler_is_a_clear_error_within_seconds():
    address = f"tcp://127.0.0.1:{free_port()}"   # nothing listens there
    start = time.monotonic()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at " + address):
        prove(program(), INPUT, log_segment_height=LOG_HEIGHT, cluster=address)
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("bad", ["", "tcp://", "http://127.0.0.1:8786", "tcp://host:port"])
def test_a_malformed_scheduler_address_is_refused(bad):
    with pytest.raises(InputError, match="scheduler address"):
        prove(program(), INPUT, log_segment_height=LOG_HEIGHT, cluster=bad)


def test_a_cancelled_proof_leaves_no_task_on_the_cluster(cluster):
    token = CancelToken()

    def on_event(event) -> None:
        if isinstance(event, SegmentStarted) and event.worker is not None:
            token.cancel()

    with pytest.raises(Cancelled):
        prove(program(), INPUT, log_segment_height=LOG_HEIGHT, cluster=cluster.address,
              on_event=on_event, cancel=token)
    with cluster.client() as client:
        wait_for(lambda: not any(str(key).startswith("zkwb-segment")
                                 for keys in client.processing().values() for key in keys),
                 120, "the cancelled segments to leave the workers", poll=0.1)


def test_zkwb_prove_with_two_local_workers(tmp_path):
    out = tmp_path / "r.zkr"
    elf = guest_path("sha256")
    done = subprocess.run([sys.executable, "-m", "engine", "prove", elf, "-o", str(out),
                           "--segment-rows", str(1 << LOG_HEIGHT), "--workers", "2", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=PROVE_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["segment_count"] > 1
    assert all(s["worker"].startswith("tcp://127.0.0.1:") for s in report["segments"])
    checked = subprocess.run([sys.executable, "-m", "engine", "verify", str(out), "--elf", elf,
                              "--json"], capture_output=True, text=True, cwd=ROOT,
                             timeout=PROVE_TIMEOUT_S)
    assert checked.returncode == 0 and json.loads(checked.stdout)["valid"], checked.stderr


def test_zkwb_prove_refuses_a_cluster_and_workers_together(capsys):
    from engine.cli import main

    with pytest.raises(SystemExit):
        main(["prove", guest_path("sha256"), "-o", "x.zkr", "--workers", "2",
              "--cluster", "tcp://127.0.0.1:1"])
    assert "not allowed with" in capsys.readouterr().err


def test_a_local_proof_never_imports_dask():
    code = ("import sys\n"
            "from engine.api import prove\n"
            "from engine.vm import load_elf\n"
            "from engine.runtime.resources import guest_path\n"
            "prove(load_elf(guest_path('fibonacci')))\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
            "print(loaded)\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=PROVE_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zkwb_worker_runs_one_thread_a_process_unless_told_otherwise():
    from engine.cli.worker import worker_arguments

    assert worker_arguments("tcp://h:8786", ["--name", "a"]) == [
        "tcp://h:8786", "--name", "a", "--nthreads", "1", "--worker-class",
        "distributed.Worker"]
    assert worker_arguments("tcp://h:8786", ["--nthreads=4", "--worker-class", "x.W"]) == [
        "tcp://h:8786", "--nthreads=4", "--worker-class", "x.W"]


def test_workers_zkwb_starts_spawn_without_dasks_memory_trim_setting():
    import dask

    from engine.distributed.driver import WORKER_CONFIG

    with dask.config.set(WORKER_CONFIG):
        environ = dask.config.get("distributed.nanny.pre-spawn-environ")
    assert "MALLOC_TRIM_THRESHOLD_" not in environ and "OMP_NUM_THREADS" not in environ
