"""PyInstaller runtime hook: give Numba a writable, per-user cache before it is imported.

The bundle is installed read-only (``/opt/zkwb``), so Numba cannot write its cache beside
the sources it compiles.  ``$NUMBA_CACHE_DIR`` (when the user has not set it) becomes
``$XDG_CACHE_HOME/zkwb/numba`` (``~/.cache/zkwb/numba``); when that cannot be created, a
private folder under the temporary directory.  The generated constraint kernels already
go to ``$XDG_CACHE_HOME/zkwb/kernels`` (engine.stark.codegen).
"""
import os
import sys
import tempfile


def _writable(path):
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _user_cache_base():
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return os.environ["LOCALAPPDATA"]
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Caches")
    return os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")


def _numba_cache_dir():
    preferred = os.path.join(_user_cache_base(), "zkwb", "numba")
    if _writable(preferred):
        return preferred
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    fallback = os.path.join(tempfile.gettempdir(), f"zkwb-{user}", "numba")
    _writable(fallback)
    return fallback


if not os.environ.get("NUMBA_CACHE_DIR"):
    os.environ["NUMBA_CACHE_DIR"] = _numba_cache_dir()
