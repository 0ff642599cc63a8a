"""The bundled sample guests and an input that shows each one off."""
from __future__ import annotations

from functools import lru_cache

from engine.errors import ZkwbError
from engine.runtime.resources import guest_path, sample_guests

# The guest loaded at start: small enough to prove in moments, and its journal (the
# input echoed back) makes the claim obvious.
DEFAULT_SAMPLE = "hello"

def _boundary_script() -> bytes:
    """A small script for the boundary guest (docs/guest-abi.md): set x20 to 0x2A, spin
    1000 rows, commit x20 to the journal, exit 5."""
    import struct
    commands = ((16, 0, 0x2A), (1, 1000, 0), (24, 0, 0), (8, 5, 0))
    return struct.pack("<II", 0x53424B5A, len(commands)) + b"".join(
        struct.pack("<III", *c) for c in commands)


SAMPLE_INPUTS: dict[str, bytes] = {
    "hello": b"Hello, ZK Workbench!",
    "fibonacci": b"30",
    "primes": b"100000",
    "sha256": b"abc",
    "sort": b"42 -7 19 3 0 -128 77 5 12 -1",
    "compress": b"the quick brown fox jumps over the lazy dog; " * 40,
    "bigsort": b"".join(((k * 2654435761) % 2**32).to_bytes(4, "little") for k in range(64)),
    "boundary": _boundary_script(),
}


def samples() -> list[tuple[str, str]]:
    """``(name, path)`` of every bundled guest."""
    return [(name, guest_path(name)) for name in sample_guests()]


def sample_input(name: str) -> bytes:
    return SAMPLE_INPUTS.get(name, b"")


@lru_cache(maxsize=1)
def sample_names_by_image() -> dict[bytes, str]:
    """``{image ID: "sha256.elf", ...}`` of the bundled guests (loaded once a process)."""
    from engine.vm import load_elf
    names = {}
    for _name, path in samples():
        try:
            program = load_elf(path)
        except ZkwbError:
            continue
        names.setdefault(program.image_id, program.name)
    return names
