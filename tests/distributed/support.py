"""A real Dask cluster on 127.0.0.1 for the distributed-proving tests: a ``dask
scheduler`` and ``zkwb worker`` processes, each worker with its own copy of the test
process's Numba cache (two processes filling one cache at once can corrupt it), and
the guest run every test proves."""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from engine.runtime.resources import guest_path

ROOT = Path(__file__).resolve().parents[2]
#: The smallest segments, 2^10 rows: sha256 of an empty input is 5,999 cycles, seven
#: segments of 926 rows.
LOG_HEIGHT = 10
GUEST = "sha256"
INPUT = b""
#: Generous for a loaded machine: a segment of 2^10 rows takes about a second.
PROVE_TIMEOUT_S = 600
START_TIMEOUT_S = 180


@functools.cache
def program():
    from engine.vm import load_elf
    return load_elf(guest_path(GUEST))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path, name: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cache = os.environ.get("NUMBA_CACHE_DIR")
    if cache and os.path.isdir(cache):
        own = tmp / f"numba-{name}"
        if not own.exists():
            shutil.copytree(cache, own, symlinks=True)
        env["NUMBA_CACHE_DIR"] = str(own)
    return env


class Cluster:
    """``with Cluster(tmp, workers=2) as c``: a scheduler at ``c.address`` and the named
    workers (``c.workers``: name -> Popen), all stopped on exit."""

    def __init__(self, tmp: Path, workers: int = 2):
        self.tmp = Path(tmp)
        self.names = [f"w{k}" for k in range(workers)]
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler = None
        self.workers: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> Cluster:  # noqa: PYI034 - a plain class, not subclassed
        port = self.address.rsplit(":", 1)[1]
        log = open(self.tmp / "scheduler.log", "wb")
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", port, "--no-dashboard", "--no-show"],
            stdout=log, stderr=subprocess.STDOUT, env=_env(self.tmp, "scheduler"), cwd=ROOT)
        try:
            for name in self.names:
                out = open(self.tmp / f"{name}.log", "wb")
                self.workers[name] = subprocess.Popen(
                    [sys.executable, "-m", "engine", "worker", self.address, "--no-nanny",
                     "--name", name, "--host", "127.0.0.1", "--no-dashboard"],
                    stdout=out, stderr=subprocess.STDOUT, env=_env(self.tmp, name), cwd=ROOT)
            with self.client() as client:
                client.wait_for_workers(len(self.names), timeout=START_TIMEOUT_S)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    @contextlib.contextmanager
    def client(self):
        from distributed import Client
        client = Client(self.address, timeout=START_TIMEOUT_S)
        try:
            yield client
        finally:
            client.close()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.tmp.glob("*.log")))

    def __exit__(self, *exc) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in [*self.workers.values(), self.scheduler]:
            if process is None:
                continue
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(predicate, timeout: float, what: str, poll: float = 0.05):
    """``predicate()``'s first truthy value, polled until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
