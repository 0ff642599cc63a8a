"""Real receipts of two small guests, proved once a process and shared by the headless
verdict tests and the window's (tests/workbench/test_verdict.py).

Image IDs are read from the programs, never written down (they change with the circuit).
"""
from __future__ import annotations

import functools

import engine
from engine.runtime.resources import guest_path

INPUTS = {"fibonacci": b"10", "hello": b"Hello, ZK Workbench!"}


@functools.cache
def program(name: str):
    return engine.load_elf(guest_path(name))


@functools.cache
def proof(name: str, detached: bool = False):
    """``engine.prove``'s result for guest ``name`` on its input (``INPUTS``)."""
    return engine.prove(program(name), INPUTS[name], detached=detached)


def write_receipts(folder) -> dict[str, str]:
    """``{name: path}`` of a receipt of each guest in ``INPUTS``, and ``detached`` (a
    detached receipt of fibonacci), written in ``folder``."""
    paths = {}
    for name in INPUTS:
        paths[name] = str(folder / f"{name}.zkr")
        engine.write_receipt(paths[name], proof(name).receipt)
    paths["detached"] = str(folder / "fibonacci-detached.zkr")
    engine.write_receipt(paths["detached"], proof("fibonacci", detached=True).receipt)
    return paths
