"""A Numba cache locator whose entries survive moving the install (engine.runtime.kernel_cache).

Numba's own locators file a function's cache under a hash of its source folder's
absolute path and, in a frozen app, stamp it with the launcher executable, so a cache
built elsewhere never matches and the ``zkwb`` and ``zkwb-workbench`` launchers
invalidate each other's entries. This one files each kernel under its folder
*relative* to a known root, ``$NUMBA_CACHE_DIR/bundle/<folder>`` for the engine's own
sources and ``$NUMBA_CACHE_DIR/kernels`` for generated kernels, and stamps it with the
SHA-256 of the source file itself. Files under neither root are left to the next
locator in ``NUMBA_CACHE_LOCATOR_CLASSES``.

Numba selects it by name (``engine.runtime.kernel_cache.configure`` sets the variable); it
uses Numba's ``_CacheLocator`` interface, pinned by the packaging requirements and
tested in tests/test_kernel_cache.py.
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from numba.core import config
from numba.core.caching import _CacheLocator

# The folder holding the ``engine`` package: the bundle's _internal when frozen.
_BUNDLE_ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _source_digest(path: str, mtime: float, size: int) -> bytes:
    # mtime and size are part of the memo key: a file changed while running is re-hashed.
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def relative_key(py_file: str) -> str | None:
    """Where under the cache folder ``py_file``'s kernels go, or None if elsewhere."""
    path = Path(py_file).resolve()
    kernels = os.environ.get("ZKWB_CACHE_DIR")
    if kernels and path.parent == Path(kernels).resolve():
        return "kernels"
    try:
        folder = path.parent.relative_to(_BUNDLE_ROOT)
    except ValueError:
        return None
    return "/".join(("bundle", *folder.parts))


class RelocatableLocator(_CacheLocator):
    def __init__(self, py_func, py_file: str, key: str):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(config.CACHE_DIR, *key.split("/"))

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self) -> bytes:
        st = os.stat(self._py_file)
        return _source_digest(self._py_file, st.st_mtime, st.st_size)

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if not config.CACHE_DIR or not os.path.isfile(py_file):
            return None
        key = relative_key(py_file)
        if key is None:
            return None
        self = cls(py_func, py_file, key)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self
