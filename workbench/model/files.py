"""Files the workbench reads and writes: atomic saves, trace export, what a drop is.

Every save goes to a temporary file beside the target and is renamed over it only once
complete, so a crash or a full disk never leaves a half-written file under the user's
chosen name (docs/design.md, "Receipts are untrusted input").
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from collections.abc import Iterator

import numpy as np

ELF_MAGIC = b"\x7fELF"
PROGRAM, RECEIPT, OTHER = "program", "receipt", "other"


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; rename it over ``path`` if the block succeeds.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                     suffix=".part")
    os.close(fd)
    try:
        yield temporary
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as temporary, open(temporary, "wb") as f:
        f.write(data)


def save_trace_npz(path: str, view, image_id: bytes = b"", program_name: str = "") -> None:
    """Export a trace as ``.npz``: one uint32 array per column, plus what identifies it.

    Keys: each column name; ``columns`` (the names, unicode); ``image_id`` (uint8);
    ``program`` (unicode). Loads with ``np.load(path)`` (no pickle needed).
    """
    arrays = {}
    for name, column in view.columns.items():
        column = np.asarray(column)
        if column.dtype.kind not in "ui":
            raise TypeError(f"trace column {name!r} is {column.dtype}, not integers")
        key = f"col_{name}" if name in ("columns", "image_id", "program") else name
        arrays[key] = np.ascontiguousarray(column)
    arrays["columns"] = np.array(list(view.columns), dtype=np.str_)
    arrays["image_id"] = np.frombuffer(bytes(image_id), dtype=np.uint8)
    arrays["program"] = np.array(program_name, dtype=np.str_)
    with atomic_path(path) as temporary, open(temporary, "wb") as f:
        np.savez(f, **arrays)


def classify_drop(path: str) -> str:
    """What a dropped file is: ``PROGRAM`` (.elf or ELF magic), ``RECEIPT`` (.zkr), ``OTHER``."""
    lower = path.lower()
    if lower.endswith(".zkr"):
        return RECEIPT
    if lower.endswith(".elf"):
        return PROGRAM
    try:
        with open(path, "rb") as f:
            if f.read(4) == ELF_MAGIC:
                return PROGRAM
    except OSError:
        pass
    return OTHER

