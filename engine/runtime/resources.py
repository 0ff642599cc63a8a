"""Where the bundled resources (sample guests, models, icons) live."""
from __future__ import annotations

import os
import sys

from engine.errors import InputError


def resources_dir() -> str:
    """The ``resources/`` folder: beside the source tree, or inside a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return os.path.join(bundle, "resources")
    source_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(source_root, "resources")


def guests_dir() -> str:
    """The folder of the prebuilt sample guests (and the guest SDK)."""
    return os.path.join(resources_dir(), "guests")


def guest_path(name: str) -> str:
    """Path of the prebuilt sample guest ``name`` (e.g. ``"sha256"``)."""
    path = os.path.join(guests_dir(), f"{name}.elf")
    if not os.path.isfile(path):
        raise InputError(f"no bundled guest named {name!r} (looked for {path})")
    return path


def primes_input(limit: int) -> bytes:
    """The input of the bundled ``primes`` guest that counts the primes below ``limit``
    (about 7.4 cycles per unit of ``limit``: 10^6 takes 7.4 M cycles; docs/guest-abi.md)."""
    return f"{limit}\n".encode()


def sample_guests() -> list[str]:
    """Names of the bundled sample guests."""
    return sorted(f[:-4] for f in os.listdir(guests_dir()) if f.endswith(".elf"))
