"""Worker plugins the distributed tests install on real ``zkwb worker`` processes
(imported there from this checkout: the tests put it on the workers' PYTHONPATH).

Each patches the module the tasks run in (``engine.distributed.jobs``) inside the
worker process it is set up in; the driver and the engine are unchanged.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin


class HoldFirstSegment(WorkerPlugin):
    """On the worker named ``victim`` only: the first segment it starts writes its pid
    to ``marker`` and then waits (up to ``hold_s``) before proving, so that the test
    kills the worker while it holds that segment."""

    idempotent = True

    def __init__(self, victim: str, marker: str, hold_s: float = 300.0):
        self.victim, self.marker, self.hold_s = victim, marker, hold_s

    def setup(self, worker) -> None:
        if worker.name != self.victim:
            return
        from engine.distributed import jobs

        real, marker, hold_s = jobs.prove_segment, Path(self.marker), self.hold_s
        held = []

        def prove_segment(witness, *args, **kwargs):
            if not held:
                held.append(True)
                marker.write_text(f"{os.getpid()} {witness.publics['segment']}")
                time.sleep(hold_s)
            return real(witness, *args, **kwargs)

        jobs.prove_segment = prove_segment


class CorruptOneSeal(WorkerPlugin):
    """On every worker: the first seal encoded after ``marker`` is created by this
    plugin (once across all workers: ``O_EXCL``) has one byte in its middle flipped,
    as a faulty or dishonest worker would return it."""

    idempotent = True

    def __init__(self, marker: str):
        self.marker = marker

    def setup(self, worker) -> None:
        from engine.distributed import jobs

        real, marker = jobs.encode_proof, self.marker

        def encode_proof(proof):
            seal = real(proof)
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return seal
            middle = len(seal) // 2
            return seal[:middle] + bytes([seal[middle] ^ 0x55]) + seal[middle + 1:]

        jobs.encode_proof = encode_proof
