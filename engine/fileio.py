"""Reading untrusted files with a size cap, and writing files atomically."""
from __future__ import annotations

import os
import tempfile

from engine.errors import InputError


def read_bounded(path: str | os.PathLike, limit: int, what: str = "file",
                 error: type[InputError] = InputError) -> bytes:
    """Read a whole file, refusing (with ``error``, an ``InputError``) anything over
    ``limit`` bytes before reading it, and directories, missing or unreadable files."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise error(f"{path}: {size:,} bytes is larger than a {what} can be "
                                 f"({limit:,} bytes)")
            data = f.read(limit + 1)
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a {what}") from None
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as e:
        raise error(f"{path}: cannot read it ({e.strerror or e})") from None
    if len(data) > limit:
        raise error(f"{path} is larger than a {what} can be ({limit:,} bytes)")
    return data


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new
    one, never a partial file: a temporary file in the same folder, flushed to disk,
    then renamed over ``path``. Raises ``InputError`` if the folder is not writable."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".zkwb-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise InputError(f"cannot write {path}: {e.strerror or e}") from None
        raise
