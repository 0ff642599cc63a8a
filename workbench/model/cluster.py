"""Where a proof runs: in this process, on local Dask workers, or on a cluster (no Qt).

The toolbar's "Prove on" field takes one line of text (``parse_target``):

* empty or ``this process``: the segments are proved here, one after another, as
  ``engine.prove`` does by default (Dask is not even imported);
* a number ``N`` (or ``N local workers``): a Dask ``LocalCluster`` of ``N`` worker
  processes on this machine, started for the proof and closed after;
* a scheduler address (``tcp://HOST:8786``, ``tls://…``, or ``HOST:PORT``): the workers
  of that Dask scheduler, started elsewhere with ``zkwb worker ADDRESS``
  (``docs/distributed.md``). The engine checks the address and says why it cannot
  reach it.

The receipt is the same wherever it is proved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

IN_PROCESS_TEXT = "this process"
#: The most local worker processes the field accepts (each holds a segment's proof).
MAX_LOCAL_WORKERS = 64
#: The entries the field offers besides the addresses used before.
SUGGESTIONS = (IN_PROCESS_TEXT, "2 local workers")

_LOCAL = re.compile(r"^(\d+)(\s+local)?(\s+workers?)?$", re.IGNORECASE)
_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://)?[^\s/:]+:\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class ProveTarget:
    """``cluster`` (a scheduler address) or ``workers`` (local processes), or neither
    (this process): the arguments ``engine.prove`` takes."""
    cluster: str | None = None
    workers: int | None = None

    @property
    def in_process(self) -> bool:
        return self.cluster is None and self.workers is None

    def text(self) -> str:
        """The field's text for this target (what ``parse_target`` reads back)."""
        if self.workers is not None:
            return f"{self.workers} local worker{'s' if self.workers != 1 else ''}"
        return self.cluster or IN_PROCESS_TEXT

    def describe(self) -> str:
        """Where a proof runs, for a sentence: "in this process", "on 2 local Dask
        workers", "on the Dask cluster at tcp://…"."""
        if self.workers is not None:
            return f"on {self.text()} (Dask)"
        if self.cluster is not None:
            return f"on the Dask cluster at {self.cluster}"
        return "in this process"

    def engine_arguments(self) -> dict:
        """The keyword arguments of ``engine.prove`` (none in this process)."""
        if self.workers is not None:
            return {"workers": self.workers}
        if self.cluster is not None:
            return {"cluster": self.cluster}
        return {}


def parse_target(text: str) -> ProveTarget:
    """The target the field's ``text`` names; ``ValueError`` with a sentence for a
    person when it names none."""
    value = (text or "").strip()
    if not value or value.lower() == IN_PROCESS_TEXT:
        return ProveTarget()
    local = _LOCAL.match(value)
    if local:
        count = int(local.group(1))
        if not 1 <= count <= MAX_LOCAL_WORKERS:
            raise ValueError(f"local workers: 1 to {MAX_LOCAL_WORKERS}, not {count}")
        return ProveTarget(workers=count)
    if _ADDRESS.match(value):
        return ProveTarget(cluster=value if "://" in value else f"tcp://{value}")
    raise ValueError(f"“{value}” is not a place to prove on: write “{IN_PROCESS_TEXT}”, a "
                     "number of local workers (“2”), or a Dask scheduler's address "
                     "(tcp://HOST:8786)")


__all__ = [
    "IN_PROCESS_TEXT",
    "MAX_LOCAL_WORKERS",
    "SUGGESTIONS",
    "ProveTarget",
    "parse_target",
]
