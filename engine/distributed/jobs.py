"""Segment jobs: what a worker needs to prove one segment, as plain bytes and NumPy.

The driver builds one :func:`run_job` per run (the program image as words, the
parameters, the claim, the journal, the segment count and height, the global
challenges) and one :func:`segment_jobs` entry per segment, in its second pass over
the run (``docs/distributed.md``): the window's recorded rows with window-local
timestamps, the next window's first row, the state the previous segment hands over
(from phase one), the boundary table, the segment's slice of the final memory, the
journal positions, the stage-0 seed and the state mask. Every value is an ``int``,
``bytes``, ``bool``, ``None``, a ``dict`` of them or a NumPy array: no engine object
crosses the wire, so a worker needs only the same zkwb version, not the driver's
objects. :func:`prove_segment_task` runs on the worker and returns the encoded seal
(``engine.stark.encode_proof``) with a few figures.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np

from engine import __version__
from engine.circuit.image import MachineImage
from engine.circuit.witness import SegmentRows, segment_witness
from engine.errors import ProvingError
from engine.prover.local import PlannedRun, prove_segment, segment_seed
from engine.receipt import ProgramImage
from engine.runtime.compile_time import compile_timer
from engine.runtime.memory import use_small_pages
from engine.segments.boundary import BoundaryTable, local_trace
from engine.segments.final import FinalTable
from engine.segments.witness import final_slice, state_random
from engine.stark import encode_proof
from engine.stark.params import ProofParams

#: The job layout; a worker refuses a job of another layout or zkwb version.
JOB_FORMAT = 1
#: The Dask event topic a worker announces the segment it starts on.
STARTED_TOPIC = "zkwb-segment-started"

_BOUNDARY = ("addr", "kind", "in_value", "t_in", "out_value", "last_local_ts")
_FINAL = ("addr", "kind", "final_value", "t_final", "zinit")


def run_job(planned: PlannedRun, params: ProofParams, challenges: np.ndarray, *,
            check: bool, row_check: bool) -> dict:
    """What every segment of ``planned`` shares: sent with each task (a few KB plus
    the journal), so that a task retried on any worker is self-contained."""
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
        "challenges": np.asarray(challenges, dtype=np.uint32).copy(),
        "check": bool(check), "row_check": bool(row_check),
    }


def segment_jobs(planned: PlannedRun,
                 state_outs: Sequence[np.ndarray | None]) -> Iterator[dict]:
    """The segments' jobs in order, recording the run window by window
    (one window in memory at a time, as ``SegmentWitnesses``): segment ``k``'s job
    holds exactly what ``SegmentWitnesses`` gives ``segment_witness`` for it, so a
    worker builds the same witness as the local prover and commits the same stage-0
    root. ``state_outs[k]``: the state segment ``k`` hands over (phase one)."""
    plan, secret = planned.plan, planned.secret
    real_rows = planned.witnesses.real_rows
    link = -1
    for segment in plan.segments():
        window, k = segment.window, segment.window.index
        final = final_slice(plan.final, k, real_rows)
        job = {
            "index": k,
            "first_cycle": window.first_row, "cycles": len(window),
            "rows": np.ascontiguousarray(local_trace(window).rows),
            "next_row": None if window.next_row is None else window.next_row.copy(),
            "state_in": None if k == 0 else np.asarray(state_outs[k - 1]).copy(),
            "boundary": {name: np.asarray(getattr(segment.boundary, name)).copy()
                         for name in _BOUNDARY},
            "final": {name: np.asarray(getattr(final, name)).copy() for name in _FINAL},
            "link_in": link,
            "j_in": int(window.start.journal_position),
            "j_out": int(window.end.journal_position),
            "state_random": tuple(int(v) for v in state_random(secret, k)),
            "seed": segment_seed(secret, k),
        }
        if len(final):
            link = int(final.addr[-1])
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


def prove_segment_task(common: dict, job: dict) -> dict:
    """On a worker: rebuild segment ``job["index"]``'s witness from the job, prove it
    with the run's global challenges and return ``{"index", "seal" (bytes),
    "journal_end", "seconds", "compile_seconds", "worker", "pid", "task"}`` (``task``:
    how many segments this worker process had started, 1 for its first). Raises
    ``ProvingError`` for a job of another zkwb version or one that does not fit."""
    if common.get("format") != JOB_FORMAT or common.get("zkwb") != __version__:
        raise ProvingError(f"this worker runs zkwb {__version__} (job format {JOB_FORMAT}); "
                           f"the driver sent a job of zkwb {common.get('zkwb')} (format "
                           f"{common.get('format')}): install the same zkwb on every worker")
    use_small_pages()   # as engine.prove does (engine.runtime.memory)
    with _lock:
        task = next(_tasks)
    worker = _announce(job["index"], common)
    start = time.perf_counter()
    with compile_timer() as compiling:
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
            witness = segment_witness(image, rows, params=params, height=height)
        except ValueError as e:
            raise ProvingError(f"segment {k} of {common['count']} cannot be proven in a trace "
                               f"of {height:,} rows: {e}") from None
        proof = prove_segment(witness, image, claim=common["claim"], params=params,
                              seed=job["seed"], challenges=common["challenges"],
                              check=common["check"], row_check=common["row_check"])
        seal = encode_proof(proof)
    return {"index": k, "seal": seal, "journal_end": int(witness.publics["j_out"]),
            "seconds": time.perf_counter() - start, "compile_seconds": compiling.seconds,
            "worker": worker, "pid": os.getpid(), "task": task}


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


def _announce(index: int, common: dict) -> str | None:
    """Tell the driver (a Dask event) which worker starts segment ``index``; the
    worker's address, or None outside a Dask worker."""
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):
        return None
    worker.log_event(STARTED_TOPIC, {"index": int(index), "worker": worker.address,
                                     "run": common.get("run")})
    return worker.address


__all__ = ["JOB_FORMAT", "STARTED_TOPIC", "job_bytes", "prove_segment_task", "run_job",
           "segment_jobs"]
