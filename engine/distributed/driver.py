"""The driver of a distributed proof: one pass over the run here, both phases of the
segments' proofs on Dask workers.

``prove_run_distributed`` follows the local prover's two phases
(``docs/continuations.md``, ``docs/distributed.md``): it connects first (an
unreachable scheduler fails within the connect timeout, before any work), executes
the run once, then records it window by window and submits one phase-one task per
segment (``engine.distributed.jobs``), at most a few per worker in flight so that the
driver's memory holds a few windows whatever the run's length. The state each
segment starts from is computed here from the boundary row
(``engine.segments.handover``), so the segments are committed in parallel; the worker
checks it against the one its witness hands over. Each worker commits its segments'
stage-0 columns, keeps their jobs and returns the roots; the driver grinds the global
challenges and sends each segment's phase-two task to the worker that keeps its job
(a few bytes a task). A worker that no longer holds a job (it died and was replaced)
gets the whole job again. Each seal comes back as bytes; the driver decodes it,
checks its stage-0 root against phase one's and verifies it as the verifier will; a
seal that fails is proved again (``max_reproofs`` times at most). A worker that dies
takes its task with it and Dask runs it elsewhere; a task that raises is retried
(``retries``). Cancelling (the reporter's token, Ctrl-C) cancels every task and raises.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from engine.circuit.machine import build_air
from engine.circuit.witness import segment_messages, segment_publics
from engine.distributed.jobs import (STARTED_TOPIC, MissingJob, commit_segment_task, forget_run,
                                     prove_segment_task, run_job, segment_jobs)
from engine.errors import InputError, ProvingError
from engine.events import Reporter, SegmentFinished, SegmentStarted
from engine.prover.local import (DEFAULT_LOG_SEGMENT_HEIGHT, ProvedRun, ProvedSegment,
                                 assemble, plan_run)
from engine.stark import decode_proof
from engine.stark import verify as stark_verify
from engine.stark.params import ProofParams
from engine.stark.shape import proof_shape
from engine.stark.stage0 import grind_global_challenges
from engine.vm.executor import SegmentedRun
from engine.vm.program import Program

#: Seconds to reach the scheduler before giving up with an ``InputError``.
CONNECT_TIMEOUT_S = 5.0
#: Seconds to wait for the first worker to join the scheduler.
WORKER_WAIT_S = 60.0
#: How often a segment whose seal does not verify is proved again.
MAX_REPROOFS = 2
#: Dask's retries of a task that raised (a worker that dies is not counted here: the
#: scheduler reschedules its tasks by itself, up to ``distributed.scheduler.
#: allowed-failures`` times).
TASK_RETRIES = 2
#: Dask configuration for the worker processes zkwb starts (``--workers`` and ``zkwb
#: worker``): none of the environment Dask's nanny sets before it spawns a worker by
#: default. Its ``MALLOC_TRIM_THRESHOLD_=65536`` turns off glibc's dynamic mmap
#: threshold, so that every large array a proof allocates is a fresh mapping whose
#: pages fault in again (measured: a segment's proof two to three times slower, most
#: of it system time), and its ``OMP_NUM_THREADS=1`` is meant for BLAS, not for
#: Numba's parallel kernels.
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ": {}}
#: Dask warns of task graphs above this size: jobs are this big by design (the recorded
#: rows of a 2^20-row segment are about 100 MB).
JOB_BYTES = "1GiB"


def prove_run_distributed(program: Program, input_data: bytes, *,
                          claim_of: Callable[[SegmentedRun], bytes], params: ProofParams,
                          log_segment_height: int = DEFAULT_LOG_SEGMENT_HEIGHT,
                          max_cycles: int | None = None, check: bool = True,
                          row_check: bool = False, reporter: Reporter | None = None,
                          secret: bytes | None = None, cluster=None,
                          workers: int | None = None,
                          connect_timeout: float = CONNECT_TIMEOUT_S,
                          max_reproofs: int = MAX_REPROOFS,
                          in_flight: int | None = None) -> ProvedRun:
    """Prove as ``engine.prover.prove_run`` does, with the segments proved on a Dask
    cluster: ``cluster`` is a scheduler address (``tcp://HOST:8786``) or a
    ``distributed.Client``; ``workers=N`` starts a ``LocalCluster`` of N worker
    processes on this machine for the run and closes it after. ``in_flight``: tasks
    submitted ahead at most (default two per worker). Raises ``InputError`` when the
    scheduler cannot be reached or has no worker, ``ProvingError`` when a segment
    cannot be proven (a seal that keeps failing, a task that keeps raising, the
    cluster losing the task), and what ``prove_run`` raises."""
    reporter = reporter or Reporter()
    with connect(cluster, workers, connect_timeout) as client:
        planned = plan_run(program, input_data, claim_of=claim_of, params=params,
                           log_segment_height=log_segment_height, max_cycles=max_cycles,
                           reporter=reporter, secret=secret)
        air = build_air()
        run_id = uuid.uuid4().hex[:12]
        common = run_job(planned, params, None, check=check, row_check=row_check, run_id=run_id)
        if in_flight is None:
            in_flight = 2 * max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        import dask

        # Each job carries its segment's recorded rows (~25 MB at 2^18) on purpose, so
        # Dask's "Sending large graph" warning (10 MB), printed on the user's terminal
        # once per size, says nothing useful; its advice, scattering the data first,
        # would leave it on one worker and lose it with that worker, where a task
        # that carries its data can be run again elsewhere.
        try:
            with dask.config.set({"distributed.admin.large-graph-warning-threshold":
                                  JOB_BYTES}):
                with reporter.phase("stage0"):
                    first = _commit_wave(client, common, segment_jobs(planned), planned.count,
                                         reporter, in_flight=in_flight)
                with reporter.phase("global challenges"):
                    nonce, challenges = grind_global_challenges(air, planned.claim, first.roots,
                                                                params.global_pow_bits)
                common = {**common, "challenges": np.asarray(challenges, dtype=np.uint32)}
                checker = _SealChecker(air, planned, params, first.roots, challenges)
                with reporter.phase("segments on the cluster"):
                    proved, shares = _prove_wave(client, common, planned, first, checker,
                                                 reporter, max_reproofs=max_reproofs,
                                                 in_flight=in_flight)
        finally:
            # Phase one's jobs left on the workers go, whatever happened.
            with contextlib.suppress(Exception):
                client.run(forget_run, run_id)
    return ProvedRun(planned.plan.run,
                     assemble(air, proved, shares, planned.image, challenges, nonce, params,
                              check))


@contextlib.contextmanager
def connect(cluster=None, workers: int | None = None,
            timeout: float = CONNECT_TIMEOUT_S) -> Iterator:
    """A ``distributed.Client``: to the scheduler at ``cluster`` (an address; a Client
    is used as it is and left open), or to a new ``LocalCluster`` of ``workers``
    processes, closed on exit. Raises ``InputError`` for both or neither, a bad
    worker count, or a scheduler that cannot be reached within ``timeout`` seconds or
    has no worker within ``WORKER_WAIT_S``."""
    if (cluster is None) == (workers is None):
        raise InputError("give either a cluster (a Dask scheduler address) or a number of "
                         "local workers")
    from distributed import Client

    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InputError(f"--workers takes a positive number of worker processes, not "
                             f"{workers!r}")
        import dask
        from distributed import LocalCluster

        with dask.config.set(WORKER_CONFIG):
            local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.ERROR)
        try:
            client = Client(local)
            try:
                yield client
            finally:
                client.close()
        finally:
            local.close()
        return
    if isinstance(cluster, Client):
        yield cluster
        return
    address = _address(cluster)
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as e:
        raise InputError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                         f"({e}); start one with `dask scheduler` and workers with "
                         "`zkwb worker ADDRESS` (docs/distributed.md)") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (OSError, TimeoutError):
            raise InputError(f"the Dask scheduler at {address} has no worker after "
                             f"{WORKER_WAIT_S:g} s; start one with `zkwb worker {address}`") \
                from None
        yield client
    finally:
        client.close()


def _address(cluster) -> str:
    if not isinstance(cluster, str) or not cluster.strip():
        raise InputError(f"a cluster is a Dask scheduler address such as tcp://HOST:8786, "
                         f"not {cluster!r}")
    address = cluster.strip()
    if "://" not in address:
        address = "tcp://" + address
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise InputError(f"{cluster!r} is not a Dask scheduler address: write "
                         "tcp://HOST:PORT (or tls://HOST:PORT)")
    return address


class _SealChecker:
    """The driver's check of one returned seal: it decodes within the shape its
    height allows, carries phase one's stage-0 root, and verifies against the
    segment's public inputs and the run's global challenges."""

    def __init__(self, air, planned, params: ProofParams, roots, challenges):
        self.air, self.planned, self.params = air, planned, params
        self.roots, self.challenges = roots, challenges
        self.shape = proof_shape(air, params, planned.log_height)
        self.journal = planned.plan.run.journal
        self.exit_code = planned.plan.run.exit_code

    def __call__(self, k: int, job: dict, result: dict):
        """``(proof, None)`` or ``(None, reason)``."""
        try:
            proof = decode_proof(result["seal"], self.shape.limits())
        except Exception as e:  # noqa: BLE001 - any undecodable seal is a bad seal
            return None, f"its seal does not decode ({e})"
        if proof.log_height != self.planned.log_height:
            return None, f"its seal is for 2^{proof.log_height} rows"
        if proof.stage0_root != self.roots[k]:
            return None, "its stage-0 root differs from the one phase one committed"
        if result.get("journal_end") != job["j_out"]:
            return None, "it ends at another journal position"
        image = self.planned.image
        j_in, j_out = job["j_in"], job["j_out"]
        publics = segment_publics(image, self.exit_code, k, self.planned.count, j_in, j_out)
        if "first_cycle" in publics:
            # The circuit's cycle counter starts each segment at the rows before it, as
            # the verifier computes them from the heights (engine.api).
            publics["first_cycle"] = int(job["first_cycle"])
        verdict = stark_verify(self.air, proof, public_values=publics, public_data=image,
                               public_messages=segment_messages(image, self.journal, j_in,
                                                                j_out),
                               claim=self.planned.claim, params=self.params,
                               min_security_bits=0.0, global_challenges=self.challenges)
        if not verdict.valid:
            return None, f"its seal does not verify: {verdict.reason}"
        return proof, None


@dataclass
class _Committed:
    """What phase one leaves on the driver: each segment's stage-0 root, the worker that
    keeps its job, and its job without the rows (what the seal check and a job sent
    again need: the journal positions, the first cycle, the state it starts from)."""
    roots: list[bytes]
    holders: list[str | None]
    metas: list[dict]


_META = ("index", "first_cycle", "cycles", "j_in", "j_out", "state_in")


def _commit_wave(client, common: dict, jobs: Iterator[dict], count: int, reporter: Reporter,
                 *, in_flight: int) -> _Committed:
    """Phase one on the cluster: submit the jobs (a bounded number ahead, so that the
    driver holds a few windows), each worker commits a segment's stage-0 columns and
    keeps its job; the roots, in order. A worker that dies takes its tasks with it and
    Dask runs them elsewhere (the task carries its job)."""
    roots: list[bytes | None] = [None] * count
    holders: list[str | None] = [None] * count
    metas: list[dict | None] = [None] * count
    pending: dict = {}
    jobs = iter(jobs)
    more, done = True, 0
    try:
        while done < count:
            while more and len(pending) < in_flight:
                job = next(jobs, None)
                if job is None:
                    more = False
                    break
                k = job["index"]
                metas[k] = {name: job[name] for name in _META}
                future = client.submit(commit_segment_task, common, job, pure=False,
                                       retries=TASK_RETRIES,
                                       key=f"zkwb-commit-{common['run']}-{k}")
                pending[future] = k
            if not pending:
                raise ProvingError(f"{done} of {count} segments were recorded")
            finished = _some_finished(pending)
            reporter.check_cancel()
            for future in finished:
                k = pending.pop(future)
                if future.status != "finished":
                    error = future.exception()
                    raise ProvingError(f"segment {k} of {count} could not be committed on the "
                                       f"cluster: {type(error).__name__}: {error}")
                result = future.result()
                future.release()
                roots[k], holders[k] = bytes(result["root"]), result.get("worker")
                done += 1
                reporter.progress("stage0", done / count)
    except BaseException:
        if pending:
            with contextlib.suppress(Exception):
                client.cancel(list(pending), force=True)
        raise
    return _Committed(roots, holders, metas)


def _prove_wave(client, common: dict, planned, first: _Committed, checker: _SealChecker,
                reporter: Reporter, *, max_reproofs: int, in_flight: int):
    """Phase two on the cluster: every segment's task goes to the worker that keeps its
    job (a few bytes each); a worker that does not hold it (it died and was replaced,
    or Dask ran the task elsewhere) answers ``MissingJob`` and the driver records the
    window again and sends the whole job (a bounded number ahead). Each seal is checked
    as it returns and a bad one proved again; the segments and their global shares,
    in order."""
    count = len(planned.spans)
    spans = planned.spans
    run_id = common["run"]
    started: queue.SimpleQueue = queue.SimpleQueue()

    def on_started(event) -> None:
        _, message = event
        if isinstance(message, dict) and message.get("run") == run_id:
            started.put(message)

    client.subscribe_topic(STARTED_TOPIC, on_started)
    pending: dict = {}          # future -> (index, meta, attempt, whole)
    resend: list = []           # (index, attempt): send the whole job
    attempts = [0] * count
    announced: dict[int, str | None] = {}
    done: dict[int, tuple[ProvedSegment, np.ndarray]] = {}

    def submit(k: int, attempt: int, whole: bool) -> None:
        meta = first.metas[k]
        if whole:
            job = next(segment_jobs(planned, k, meta["state_in"]))
            options = {}
        else:
            job = {"index": k, "stored": True}
            options = {"workers": [first.holders[k]], "allow_other_workers": True} \
                if first.holders[k] else {}
        future = client.submit(prove_segment_task, common, job, pure=False,
                               retries=TASK_RETRIES, **options,
                               key=f"zkwb-segment-{run_id}-{k}-{attempt}{'w' if whole else ''}")
        pending[future] = (k, meta, attempt, whole)

    try:
        for k in range(count):
            submit(k, 0, False)
        while len(done) < count:
            wholes = sum(1 for _, _, _, whole in pending.values() if whole)
            while resend and wholes < in_flight:
                submit(*resend.pop(0), True)
                wholes += 1
            if not pending:
                raise ProvingError(f"{len(done)} of {count} segments were proven")
            finished = _some_finished(pending)
            _announce_started(started, pending, spans, count, announced, reporter)
            reporter.check_cancel()
            for future in finished:
                k, meta, attempt, whole = pending.pop(future)
                if future.status != "finished":
                    error = future.exception()
                    if isinstance(error, MissingJob) and not whole:
                        announced.pop(k, None)
                        resend.append((k, attempt))
                        continue
                    raise ProvingError(f"segment {k} of {count} could not be proven on the "
                                       f"cluster: {type(error).__name__}: {error}")
                result = future.result()
                future.release()
                if k not in announced:
                    first_cycle, cycles = spans[k]
                    reporter.emit(SegmentStarted(k, count, first_cycle, cycles,
                                                 result.get("worker")))
                proof, reason = checker(k, meta, result)
                announced.pop(k, None)
                if proof is None:
                    attempts[k] += 1
                    if attempts[k] > max_reproofs:
                        raise ProvingError(
                            f"segment {k} of {count} came back {attempts[k]} times with a "
                            f"seal that fails: {reason} (last from worker "
                            f"{result.get('worker')}; are all workers on the same zkwb?)")
                    logging.getLogger(__name__).warning(
                        "segment %d from worker %s: %s; proving it again", k,
                        result.get("worker"), reason)
                    resend.append((k, attempts[k]))
                    continue
                first_cycle, cycles = spans[k]
                done[k] = (ProvedSegment(proof.log_height, meta["j_out"], bytes(result["seal"]),
                                         first_cycle, cycles, proof.security_bits,
                                         float(result["seconds"])),
                           np.asarray(proof.logup_sum[4:8]))
                reporter.emit(SegmentFinished(k, count, float(result["seconds"]),
                                              result.get("worker")))
    except BaseException:
        # Cancelled, Ctrl-C, a failed segment: no task keeps running for this run.
        if pending:
            with contextlib.suppress(Exception):
                client.cancel(list(pending), force=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(STARTED_TOPIC)
    proved = [done[k][0] for k in range(count)]
    shares = [done[k][1] for k in range(count)]
    return proved, shares


def _some_finished(pending) -> list:
    """The futures of ``pending`` that are done, waiting a quarter of a second at most
    for the first (so that the caller polls its cancel token that often)."""
    from distributed import wait

    try:
        finished, _ = wait(list(pending), timeout=0.25, return_when="FIRST_COMPLETED")
    except TimeoutError:
        finished = [future for future in pending if future.done()]
    return list(finished)


def _announce_started(started: queue.SimpleQueue, pending: dict, spans, count: int,
                      announced: dict, reporter: Reporter) -> None:
    """Emit :class:`SegmentStarted` for the segments workers announced since the last
    call (of this run's tasks still pending)."""
    live = {entry[0] for entry in pending.values()}
    while True:
        try:
            message = started.get_nowait()
        except queue.Empty:
            return
        k = message.get("index")
        if k in live and k not in announced:
            announced[k] = message.get("worker")
            first_cycle, cycles = spans[k]
            reporter.emit(SegmentStarted(k, count, first_cycle, cycles, announced[k]))


__all__ = ["CONNECT_TIMEOUT_S", "MAX_REPROOFS", "WORKER_CONFIG", "connect",
           "prove_run_distributed"]

