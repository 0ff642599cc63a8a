"""``zkwb warm-up``: compile every kernel a session uses, now (the package ships them)."""
from __future__ import annotations

import sys
import time

from engine.cli.common import EXIT_OK, print_json


def add_commands(sub) -> None:
    p = sub.add_parser("warm-up", help="compile every kernel now, so the first proof is fast",
                       description="Compiles (or loads from the cache) the kernels that "
                                   "executing, proving and verifying use: minutes once per "
                                   "machine, seconds when they are cached. The installed "
                                   "package ships them compiled.")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=_cmd_warm_up)


def _cmd_warm_up(args) -> int:
    say = None if args.json else (lambda text: print(f"{text}...", file=sys.stderr, flush=True))
    result = warm_up(on_step=say)
    if args.json:
        print_json({"seconds": round(result["seconds"], 3),
                    "compile_seconds": round(result["compile_seconds"], 3),
                    "steps": result["steps"]})
    elif result["compile_seconds"] >= 0.05:
        print(f"kernels ready in {result['seconds']:.1f} s, "
              f"{result['compile_seconds']:.1f} s of it compiling (cached from now on)")
    else:
        print(f"kernels ready in {result['seconds']:.1f} s (all were cached)")
    return EXIT_OK


def warm_up(on_step=None) -> dict:
    """Compile (or load from the cache) every kernel a session uses, now.

    Runs what a first session would: a bundled guest executed with and without its
    trace, small proofs of two bundled guests (one tall enough for the prover's
    windowed paths) and their verification, and a Merkle tree hashed in rounds (as
    taller proofs' trees are). ``on_step(text)`` hears each step.
    Returns ``{"seconds", "compile_seconds", "steps"}``. Used by ``zkwb warm-up`` and
    by ``packaging/build`` to fill the shipped cache.
    """
    from engine.api import prove, verify
    from engine.hash.merkle import warm_up_rounds
    from engine.runtime.compile_time import compile_timer
    from engine.runtime.resources import guest_path
    from engine.vm import execute, load_elf

    hello, sha = load_elf(guest_path("hello")), load_elf(guest_path("sha256"))
    steps = [
        ("execute", lambda: execute(hello, b"")),
        ("execute with trace", lambda: execute(hello, b"", record_trace=True)),
        ("prove and verify a small run", lambda: _prove_and_verify(prove, verify, hello, b"")),
        ("prove and verify a 2^16-row run",
         lambda: _prove_and_verify(prove, verify, sha, bytes(700))),
        # Taller proofs hash their Merkle trees in rounds (to report progress), with
        # kernels the 2^16-row proof does not reach.
        ("hash a tree in rounds, as taller proofs do", warm_up_rounds),
    ]
    start = time.perf_counter()
    with compile_timer() as compiling:
        for text, step in steps:
            if on_step is not None:
                on_step(text)
            step()
    return {"seconds": time.perf_counter() - start, "compile_seconds": compiling.seconds,
            "steps": [text for text, _ in steps]}


def _prove_and_verify(prove, verify, program, data: bytes) -> None:
    from engine.errors import ProvingError

    result = verify(prove(program, data).receipt)
    if not result.valid:
        raise ProvingError(f"the warm-up proof did not verify: {result.reason}")
