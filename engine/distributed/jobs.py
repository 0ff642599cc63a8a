"""Segment jobs: what a worker needs for one segment, as plain bytes and NumPy.

The driver builds one :func:`run_job` per run (the program image as words, the
parameters, the claim, the journal, the segment count and height; the global
challenges in phase two) and one :func:`segment_jobs` entry per segment, in one pass
over the run (``docs/distributed.md``): the window's recorded rows with window-local
timestamps, the next window's first row, the state the previous segment hands over
(computed at the boundary, ``engine.segments.handover``), the boundary table, the
segment's slice of the final memory, the journal positions, the stage-0 seed and the
state mask. Every value is an ``int``, ``bytes``, ``bool``, ``None``, a ``dict`` of
them or a NumPy array: no engine object crosses the wire, so a worker needs only the
same zkwb version, not the driver's objects.

Phase one, :func:`commit_segment_task`, commits a segment's stage-0 columns on a
worker and keeps its job there (an ``.npz`` file in the worker's local directory);
phase two, :func:`prove_segment_task`, proves it from that job, or from a whole job
the driver sends when the worker does not hold it (:class:`MissingJob`), and returns
the encoded seal (``engine.stark.encode_proof``) with a few figures.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator

import numpy as np

from engine import __version__
from engine.circuit.image import MachineImage
from engine.circuit.machine import build_air
from engine.circuit.witness import SegmentRows, segment_witness
from engine.errors import ProvingError
from engine.prover.local import PlannedRun, prove_segment, segment_seed
from engine.receipt import ProgramImage
from engine.runtime.compile_time import compile_timer
from engine.runtime.memory import use_small_pages
from engine.segments.boundary import BoundaryTable, local_trace
from engine.segments.final import FinalTable
from engine.segments.handover import Handover
from engine.segments.witness import final_slice, state_random
from engine.stark import encode_proof
from engine.stark.params import ProofParams
from engine.stark.prover import commit_stage0

#: The job layout; a worker refuses a job of another layout or zkwb version.
JOB_FORMAT = 2
#: The Dask event topic a worker announces the segment it starts on.
STARTED_TOPIC = "zkwb-segment-started"

_BOUNDARY = ("addr", "kind", "in_value", "t_in", "out_value", "last_local_ts")
_FINAL = ("addr", "kind", "final_value", "t_final", "zinit")


def run_job(planned: PlannedRun, params: ProofParams, challenges: np.ndarray | None, *,
            check: bool, row_check: bool, run_id: str = "") -> dict:
    """What every segment of ``planned`` shares: sent with each task (a few KB plus
    the journal), so that a task retried on any worker is self-contained. Phase one's
    has no ``challenges`` (None); ``run_id``: the run's ID (letters and digits)."""
    program = planned.plan.run.program
    image = ProgramImage.from_program(program)
    run = planned.plan.run
    return {
        "format": JOB_FORMAT, "zkwb": __version__,
        "image": {"entry": int(image.entry),
                  "code_ranges": [(int(a), int(b)) for a, b in image.code_ranges],
                  "heap_start": int(image.heap_start),
                  "word_addresses": np.asarray(image.word_addresses, dtype=np.uint32),
                  "word_values": np.asarray(image.word_values, dtype=np.uint32)},
        "image_id": bytes(program.image_id),
        "params": dataclasses.asdict(params),
        "claim": bytes(planned.claim), "journal": bytes(run.journal),
        "count": planned.count, "log_height": planned.log_height,
        "exit_code": int(run.exit_code), "input_length": int(run.input_length),
        "challenges": None if challenges is None
        else np.asarray(challenges, dtype=np.uint32).copy(),
        "check": bool(check), "row_check": bool(row_check), "run": run_id,
    }


def segment_jobs(planned: PlannedRun, first: int = 0,
                 state_in: np.ndarray | None = None) -> Iterator[dict]:
    """The segments' jobs in order from segment ``first`` on, recording the run window
    by window (one window in memory at a time, as ``SegmentWitnesses``): segment
    ``k``'s job holds exactly what ``SegmentWitnesses`` gives ``segment_witness`` for
    it, so a worker builds the same witness as the local prover and commits the same
    stage-0 root. The state each segment starts from is computed from the boundary
    (``engine.segments.handover``); ``state_in``: segment ``first``'s (None for 0)."""
    plan, secret = planned.plan, planned.secret
    real_rows = planned.witnesses.real_rows
    run = plan.run
    link = -1
    if first:
        before = plan.final.addr[:first * real_rows]
        link = int(before[-1]) if len(before) else -1
    handover = Handover(planned.image, run.input_length,
                        lambda k: final_slice(plan.final, k, real_rows),
                        lambda k: state_random(secret, k))
    handover.index, handover.state_in, handover.link_in = first, state_in, link
    for segment in plan.segments(first):
        window, k = segment.window, segment.window.index
        final = final_slice(plan.final, k, real_rows)
        job = {
            "index": k,
            "first_cycle": window.first_row, "cycles": len(window),
            "rows": np.ascontiguousarray(local_trace(window).rows),
            "next_row": None if window.next_row is None else window.next_row.copy(),
            "state_in": None if handover.state_in is None else handover.state_in.copy(),
            "boundary": {name: np.asarray(getattr(segment.boundary, name)).copy()
                         for name in _BOUNDARY},
            "final": {name: np.asarray(getattr(final, name)).copy() for name in _FINAL},
            "link_in": handover.link_in,
            "j_in": int(window.start.journal_position),
            "j_out": int(window.end.journal_position),
            "state_random": tuple(int(v) for v in state_random(secret, k)),
            "seed": segment_seed(secret, k),
        }
        try:
            state_out = handover.next(window)
        except ValueError as e:
            raise ProvingError(f"segment {k} of {planned.count}: {e}") from None
        job["state_out"] = None if state_out is None else state_out.copy()
        yield job


def job_bytes(job: dict) -> int:
    """The size of a segment job's arrays and bytes (what travels to the worker)."""
    total = 0
    for value in job.values():
        values = value.values() if isinstance(value, dict) else (value,)
        for v in values:
            if isinstance(v, np.ndarray):
                total += v.nbytes
            elif isinstance(v, (bytes, bytearray)):
                total += len(v)
    return total


_images: dict[bytes, MachineImage] = {}
_tasks = itertools.count(1)
_lock = threading.Lock()


class MissingJob(Exception):
    """A phase-two task sent to a worker that does not hold its segment's job (another
    worker, or one restarted since phase one): the driver sends the whole job."""


def commit_segment_task(common: dict, job: dict) -> dict:
    """Phase one on a worker: build segment ``job["index"]``'s witness, commit its
    stage-0 columns and keep the job on this worker (its local directory) for phase
    two. Returns ``{"index", "root" (bytes), "seconds", "compile_seconds", "worker",
    "pid"}``. Raises ``ProvingError`` for a job of another zkwb version, one that does
    not fit, or a witness that hands over another state than the one the driver
    computed at the boundary (and gave the next segment)."""
    _check_version(common)
    use_small_pages()
    worker = _worker()
    start = time.perf_counter()
    with compile_timer() as compiling:
        witness, k = _witness(common, job)
        root = commit_stage0(build_air(), witness.main, params=ProofParams(**common["params"]),
                             stage0_seed=job["seed"])
    state, expected = witness.state_out, job["state_out"]
    if (state is None) != (expected is None) or (
            state is not None and not np.array_equal(state, expected)):
        raise ProvingError(f"segment {k} of {common['count']}: its witness hands over another "
                           "state than the one computed at its boundary")
    _store(worker).save(common["run"], k, job)
    return {"index": k, "root": bytes(root), "seconds": time.perf_counter() - start,
            "compile_seconds": compiling.seconds,
            "worker": None if worker is None else worker.address, "pid": os.getpid()}


def prove_segment_task(common: dict, job: dict) -> dict:
    """Phase two on a worker: rebuild segment ``job["index"]``'s witness, prove it
    with the run's global challenges and return ``{"index", "seal" (bytes),
    "journal_end", "seconds", "compile_seconds", "worker", "pid", "task"}`` (``task``:
    how many segments this worker process had started, 1 for its first). ``job`` is
    the whole job, or ``{"index", "stored": True}`` for the job phase one left on
    this worker (``MissingJob`` when it is not here). Raises ``ProvingError`` for a
    job of another zkwb version or one that does not fit."""
    _check_version(common)
    use_small_pages()   # as engine.prove does (engine.runtime.memory)
    worker = _worker()
    stored = bool(job.get("stored"))
    if stored:
        job = _store(worker).load(common["run"], int(job["index"]))
    with _lock:
        task = next(_tasks)
    address = _announce(worker, job["index"], common)
    start = time.perf_counter()
    with compile_timer() as compiling:
        witness, k = _witness(common, job)
        image = _image(common)
        proof = prove_segment(witness, image, claim=common["claim"],
                              params=ProofParams(**common["params"]), seed=job["seed"],
                              challenges=common["challenges"], check=common["check"],
                              row_check=common["row_check"])
        seal = encode_proof(proof)
    if stored:
        _store(worker).drop(common["run"], k)
    return {"index": k, "seal": seal, "journal_end": int(witness.publics["j_out"]),
            "seconds": time.perf_counter() - start, "compile_seconds": compiling.seconds,
            "worker": address, "pid": os.getpid(), "task": task}


def forget_run(run: str) -> int:
    """Delete the jobs phase one left on this worker for ``run`` (the driver runs it on
    every worker when the run ends); how many there were."""
    return _store(_worker()).forget(run)


def _check_version(common: dict) -> None:
    if common.get("format") != JOB_FORMAT or common.get("zkwb") != __version__:
        raise ProvingError(f"this worker runs zkwb {__version__} (job format {JOB_FORMAT}); "
                           f"the driver sent a job of zkwb {common.get('zkwb')} (format "
                           f"{common.get('format')}): install the same zkwb on every worker")


def _witness(common: dict, job: dict):
    """Segment ``job["index"]``'s witness, as ``SegmentWitnesses`` builds it, and k."""
    image = _image(common)
    params = ProofParams(**common["params"])
    k = int(job["index"])
    rows = SegmentRows(
        index=k, count=int(common["count"]), rows=job["rows"], next_row=job["next_row"],
        state_in=job["state_in"], input_length=int(common["input_length"]),
        boundary=BoundaryTable(k, **job["boundary"]), final=FinalTable(**job["final"]),
        link_in=int(job["link_in"]), journal=common["journal"], j_in=int(job["j_in"]),
        j_out=int(job["j_out"]), exit_code=int(common["exit_code"]),
        state_random=tuple(job["state_random"]))
    height = 1 << int(common["log_height"])
    try:
        return segment_witness(image, rows, params=params, height=height), k
    except ValueError as e:
        raise ProvingError(f"segment {k} of {common['count']} cannot be proven in a trace "
                           f"of {height:,} rows: {e}") from None


_OPTIONAL = ("next_row", "state_in", "state_out")
_SCALARS = ("index", "first_cycle", "cycles", "link_in", "j_in", "j_out")


class _JobStore:
    """Jobs kept on a worker between the phases: one ``.npz`` file (no pickle) per
    segment under the worker's local directory, so that a worker's memory holds one
    job at a time however many segments it committed."""

    def __init__(self, root: str):
        self.root = root

    def _path(self, run: str, k: int) -> str:
        if not run.isalnum():
            raise ProvingError(f"{run!r} is not a run ID")
        return os.path.join(self.root, run, f"segment-{int(k)}.npz")

    def save(self, run: str, k: int, job: dict) -> None:
        arrays = {name: np.asarray(job[name]) for name in ("rows", *_OPTIONAL)
                  if job[name] is not None}
        for group in ("boundary", "final"):
            arrays.update({f"{group}.{name}": np.asarray(v) for name, v in job[group].items()})
        arrays["scalars"] = np.array([int(job[name]) for name in _SCALARS], dtype=np.int64)
        arrays["state_random"] = np.array(job["state_random"], dtype=np.int64)
        arrays["seed"] = np.frombuffer(bytes(job["seed"]), dtype=np.uint8)
        path = self._path(run, k)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = path + ".partial"
        with open(partial, "wb") as f:
            np.savez(f, **arrays)
        os.replace(partial, path)

    def load(self, run: str, k: int) -> dict:
        try:
            data = np.load(self._path(run, k), allow_pickle=False)
        except FileNotFoundError:
            raise MissingJob(f"segment {k} of run {run} is not kept on this worker") from None
        with data:
            job = dict(zip(_SCALARS, (int(v) for v in data["scalars"])))
            for name in ("rows", *_OPTIONAL):
                job[name] = data[name] if name in data.files else None
            for group, names in (("boundary", _BOUNDARY), ("final", _FINAL)):
                job[group] = {name: data[f"{group}.{name}"] for name in names}
            job["state_random"] = tuple(int(v) for v in data["state_random"])
            job["seed"] = data["seed"].tobytes()
        return job

    def drop(self, run: str, k: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path(run, k))

    def forget(self, run: str) -> int:
        folder = os.path.dirname(self._path(run, 0))
        count = len(glob.glob(os.path.join(folder, "segment-*.npz")))
        shutil.rmtree(folder, ignore_errors=True)
        return count


def _store(worker) -> _JobStore:
    base = getattr(worker, "local_directory", None) or os.path.join(
        tempfile.gettempdir(), f"zkwb-worker-{os.getpid()}")
    return _JobStore(os.path.join(base, "zkwb-jobs"))


def _image(common: dict) -> MachineImage:
    """The circuit's image of the job's program, built once per worker process."""
    key = bytes(common["image_id"])
    with _lock:
        image = _images.get(key)
    if image is None:
        words = common["image"]
        image = MachineImage.from_words(words["entry"], [tuple(r) for r in words["code_ranges"]],
                                        words["heap_start"], words["word_addresses"],
                                        words["word_values"])
        if image.image_id != key:
            raise ProvingError("the job's program image does not hash to its image ID")
        with _lock:
            _images[key] = image
    return image


def _worker():
    """The Dask worker this task runs on, or None outside one."""
    try:
        from distributed import get_worker
        return get_worker()
    except (ImportError, ValueError):
        return None


def _announce(worker, index: int, common: dict) -> str | None:
    """Tell the driver (a Dask event) which worker starts segment ``index``; the
    worker's address, or None outside a Dask worker."""
    if worker is None:
        return None
    worker.log_event(STARTED_TOPIC, {"index": int(index), "worker": worker.address,
                                     "run": common.get("run")})
    return worker.address


__all__ = ["JOB_FORMAT", "STARTED_TOPIC", "MissingJob", "commit_segment_task", "forget_run",
           "job_bytes", "prove_segment_task", "run_job", "segment_jobs"]
