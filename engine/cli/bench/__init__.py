"""``zkwb bench``: the engine's speed on this machine, one section per component.

Each section module has ``run(quick: bool) -> dict`` returning flat, JSON-ready
figures; ``run_all`` merges them with a description of the machine. Figures that need a
fresh process come from the named routines of ``engine.cli.bench.children``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable

from engine.cli.common import EXIT_OK, EXIT_USAGE, print_json

SECTIONS = ("executor", "ntt", "merkle", "stark", "prove", "continuations", "distributed",
            "startup")


def add_commands(sub) -> None:
    p = sub.add_parser("bench", help="measure the engine's speed on this machine")
    p.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    p.add_argument("--only", type=_sections_argument, metavar="SECTION[,SECTION...]",
                   help="run only these sections: " + ", ".join(SECTIONS))
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    # A fresh process of a section's measurement (engine.cli.bench.children), not for people.
    p.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(run=_cmd_bench)


def run_all(quick: bool = False, log: Callable[[str], None] | None = None,
            only: Iterable[str] | None = None) -> dict:
    """Run the sections (``only`` those named, in the order of :data:`SECTIONS`).

    Raises ``ValueError`` for a name in ``only`` that is not a section.
    """
    import platform

    import numba
    import numpy
    chosen = SECTIONS if only is None else selected_sections(only)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "quick": quick,
    }
    for name in chosen:
        if log:
            log(f"bench: {name}…")
        start = time.perf_counter()
        module = importlib.import_module(f"engine.cli.bench.{name}")
        results.update(module.run(quick))
        results[f"{name}_bench_seconds"] = round(time.perf_counter() - start, 1)
    return results


def selected_sections(names: Iterable[str]) -> tuple[str, ...]:
    """The sections named in ``names``, in the order of :data:`SECTIONS`, each once.

    Raises ``ValueError`` naming the unknown ones, or if ``names`` is empty.
    """
    wanted = [name.strip() for name in names]
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown bench section {', '.join(map(repr, unknown))}; "
                         f"the sections are {', '.join(SECTIONS)}")
    if not wanted:
        raise ValueError(f"no bench section named; the sections are {', '.join(SECTIONS)}")
    return tuple(name for name in SECTIONS if name in wanted)


def _cmd_bench(args) -> int:
    if args.child is not None:
        return _run_bench_child(args.child)
    results = run_all(quick=args.quick, only=args.only, log=None if args.json else
                      (lambda msg: print(msg, file=sys.stderr, flush=True)))
    if args.json:
        print_json(results)
    else:
        width = max(len(k) for k in results)
        for key, value in results.items():
            print(f"{key:<{width}}  {value}")
    return EXIT_OK


def _run_bench_child(words: list[str]) -> int:
    from engine.cli.bench.children import CHILDREN, run_child_routine
    if not words or words[0] not in CHILDREN:
        print(f"zkwb bench: --child needs one of {', '.join(CHILDREN)}", file=sys.stderr)
        return EXIT_USAGE
    run_child_routine(words[0], words[1:])
    return EXIT_OK


def _sections_argument(text: str) -> tuple[str, ...]:
    try:
        return selected_sections(name for name in text.split(",") if name.strip())
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
