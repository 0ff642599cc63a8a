"""``zkwb worker SCHEDULER``: a Dask worker that proves zkwb segments
(docs/distributed.md).

A thin wrapper over Dask's own ``dask worker`` command, run in this Python (the
package's bundled one included), so that the worker can import the engine the tasks
call. Arguments after the address go to ``dask worker`` unchanged (``--nworkers``,
``--memory-limit``, ``--name``...). The defaults differ in three ways: one thread per
worker process (``--nthreads 1``), since one segment's proof already uses every core
through Numba's threads and a few GB of memory; the nanny spawns the worker without
the environment Dask sets by default (``engine.distributed.driver.WORKER_CONFIG``);
and the worker class is named as ``distributed.Worker``, not through the
``dask.distributed`` alias (the frozen package's worker failed on it).
"""
from __future__ import annotations

import argparse


def add_commands(sub) -> None:
    p = sub.add_parser("worker", help="run a Dask worker that proves segments for `zkwb prove "
                                      "--cluster` (docs/distributed.md)")
    p.add_argument("scheduler", metavar="tcp://HOST:8786", help="the Dask scheduler's address")
    p.add_argument("dask_args", nargs=argparse.REMAINDER, metavar="...",
                   help="further arguments for `dask worker` (see `dask worker --help`)")
    p.set_defaults(run=_cmd_worker)


def worker_arguments(scheduler: str, extra: list[str]) -> list[str]:
    """The ``dask worker`` arguments for ``zkwb worker SCHEDULER EXTRA...``."""
    args = [scheduler, *extra]
    if not _given("--nthreads", extra):
        args += ["--nthreads", "1"]
    if not _given("--worker-class", extra):
        # Dask's default names it through the ``dask.distributed`` alias, which a frozen
        # package does not need to carry; the class is the same.
        args += ["--worker-class", "distributed.Worker"]
    return args


def _given(option: str, extra: list[str]) -> bool:
    return any(a == option or a.startswith(option + "=") for a in extra)


def _cmd_worker(args) -> int:
    import dask
    from distributed.cli.dask_worker import main as dask_worker

    # The module the tasks call, imported now: a broken install fails here, not at the
    # first task.
    import engine.distributed.jobs  # noqa: F401
    from engine.distributed.driver import WORKER_CONFIG

    with dask.config.set(WORKER_CONFIG):
        dask_worker.main(args=worker_arguments(args.scheduler, list(args.dask_args)),
                         prog_name="zkwb worker", standalone_mode=True)
    return 0
