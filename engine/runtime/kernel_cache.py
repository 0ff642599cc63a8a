"""Compiled kernels that travel: a Numba cache that a package can ship.

Numba compiles for the host CPU and keys its on-disk cache by the absolute path of each
source file (and, in a frozen app, by the launcher's bytes), so a cache made on one
machine is of no use on another, and the first proof on a fresh install compiles for
minutes. This module makes the cache portable:

* **CPU levels.** Code is compiled for a fixed, named instruction set rather than "this
  CPU": ``x86-64-v3`` (AVX2, FMA, BMI2: Intel Haswell and later, AMD Zen; LLVM's
  ``haswell`` model, as fast as native code here) or the ``x86-64`` baseline. The level
  is part of Numba's cache key (``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES``).
* **Relocatable keys.** :class:`engine.runtime.numba_locator.RelocatableLocator` files each
  kernel under its path *relative* to the install (or to the generated-kernel folder),
  stamped with the SHA-256 of its source, so the cache still matches after the bundle
  is unpacked anywhere, and both launchers share it.
* **Seeding.** The package ships ``kernel-cache/<level>/`` (built by ``zkwb warm-up``
  during ``packaging/build``). On first start the matching level is copied, atomically,
  to ``~/.cache/zkwb/<version>/<level>`` (Numba writes beside what it reads, and the
  install folder is read-only); later misses are compiled and cached there as usual.

:func:`configure` does all of that by setting environment variables, so it must run
before Numba is imported: the PyInstaller runtime hook calls it. It imports nothing
but the standard library. A development checkout does not call it: Numba's own
per-folder cache is the right thing there.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

#: The folder of shipped caches inside a bundle, one subfolder per level.
SHIPPED_FOLDER = "kernel-cache"
#: ``native``: compile for this very CPU (Numba's default); nothing is shipped for it.
NATIVE = "native"

# LLVM features of each level beyond the CPU model's, and those a host needs for it.
# The ``haswell`` model also enables AES, PCLMUL, RDRAND, FSGSBASE... which are not in
# x86-64-v3, so they are switched off explicitly.
_V3_FEATURES = ("+64bit,+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+sse3,+ssse3,+sse4.1,+sse4.2,"
                "+popcnt,+cx16,+sahf,+avx,+avx2,+bmi,+bmi2,+f16c,+fma,+lzcnt,+movbe,"
                "+xsave,-aes,-pclmul,-rdrnd,-fsgsbase,-invpcid,-xsaveopt,-rtm")
_V1_FEATURES = "+64bit,+cmov,+cx8,+fxsr,+mmx,+sse,+sse2"

#: level name -> (LLVM CPU model, LLVM feature string, host features it requires),
#: best first.
LEVELS: dict[str, tuple[str, str, frozenset[str]]] = {
    "x86-64-v3": ("haswell", _V3_FEATURES, frozenset(
        {"sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "cx16", "sahf", "avx", "avx2", "bmi",
         "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"})),
    "x86-64": ("x86-64", _V1_FEATURES, frozenset({"sse2"})),
}

# /proc/cpuinfo flag -> LLVM feature name, where they differ.
_CPUINFO_NAMES = {"bmi1": "bmi", "abm": "lzcnt", "lahf_lm": "sahf", "sse4_1": "sse4.1",
                  "sse4_2": "sse4.2", "pni": "sse3"}


def host_features() -> frozenset[str]:
    """The LLVM names of this CPU's instruction-set features that the OS enables.

    Linux: from ``/proc/cpuinfo`` (cheap; the kernel hides AVX when it does not save the
    AVX registers); elsewhere from LLVM. Empty on other architectures.
    """
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("flags"):
                        flags = line.partition(":")[2].split()
                        return frozenset(_CPUINFO_NAMES.get(flag, flag) for flag in flags)
        except OSError:
            pass
    try:
        import llvmlite.binding as ll
        return frozenset(name for name, on in ll.get_host_cpu_features().items() if on)
    except Exception:   # noqa: BLE001 (no LLVM, or an architecture it does not describe)
        return frozenset()


def is_x86_64() -> bool:
    import platform
    return platform.machine().lower() in ("x86_64", "amd64")


def choose_level(shipped: set[str] | frozenset[str], features: frozenset[str],
                 requested: str | None = None) -> str:
    """The level this process compiles for.

    ``requested`` (``$ZKWB_CPU_LEVEL``) wins when the CPU can run it (``native`` always
    can); an unknown or unsupported request raises ``ValueError`` so nobody runs code
    their CPU lacks. Otherwise the best shipped level the CPU supports, else ``native``.
    """
    if requested:
        if requested == NATIVE:
            return NATIVE
        if requested not in LEVELS:
            raise ValueError(f"unknown CPU level {requested!r}: use one of "
                             f"{', '.join([*LEVELS, NATIVE])}")
        if not LEVELS[requested][2] <= features:
            missing = ", ".join(sorted(LEVELS[requested][2] - features))
            raise ValueError(f"this CPU cannot run {requested} code (it lacks {missing})")
        return requested
    for name, (_, _, needs) in LEVELS.items():
        if name in shipped and needs <= features:
            return name
    return NATIVE


def user_cache_base() -> Path:
    """The per-user cache folder of this platform (``~/.cache`` on Linux)."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"])
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def _writable(path: Path) -> bool:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def private_temp_dir() -> Path:
    """``<temp>/zkwb-<user>``: where zkwb's caches go when the user's cache folder
    cannot be written."""
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"zkwb-{user}"


def seed(shipped: Path, target: Path) -> bool:
    """Copy the shipped cache ``shipped`` to ``target`` unless ``target`` exists.

    The copy is made beside ``target`` and renamed into place, so a process never sees
    half a cache and two first starts racing both end with one whole copy. Returns
    whether this call made it. A failed copy leaves nothing behind (the caller then
    just compiles).
    """
    if target.exists() or not shipped.is_dir():
        return False
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        shutil.copytree(shipped, scratch, dirs_exist_ok=True)
        os.rename(scratch, target)
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def configure(bundle_root: Path, version: str, environ=None) -> str:
    """Point Numba and the kernel generator at a portable, seeded, per-user cache.

    Sets ``NUMBA_CACHE_DIR``, ``ZKWB_CACHE_DIR`` (generated kernels),
    ``NUMBA_CACHE_LOCATOR_CLASSES`` and, for a named level, ``NUMBA_CPU_NAME`` and
    ``NUMBA_CPU_FEATURES`` in ``environ`` (``os.environ``). Returns the level.

    ``$ZKWB_CPU_LEVEL`` picks the level (``native`` compiles for this CPU);
    ``$ZKWB_KERNEL_CACHE_ROOT`` replaces the per-user folder (used to build the shipped
    cache itself; nothing is seeded then). A user's own ``$NUMBA_CACHE_DIR`` is left
    alone, and then so is everything else: they asked for Numba's defaults.
    """
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        return NATIVE
    shipped_root = bundle_root / SHIPPED_FOLDER
    shipped = {p.name for p in shipped_root.iterdir() if p.is_dir()} \
        if shipped_root.is_dir() else set()
    features = host_features() if is_x86_64() else frozenset()
    try:
        level = choose_level(shipped, features, env.get("ZKWB_CPU_LEVEL"))
    except ValueError as e:
        print(f"zkwb: ZKWB_CPU_LEVEL: {e}; compiling for this CPU instead", file=sys.stderr)
        level = NATIVE
    if env.get("ZKWB_KERNEL_CACHE_ROOT"):
        root = Path(env["ZKWB_KERNEL_CACHE_ROOT"])
    else:
        base = user_cache_base() / "zkwb"
        if not _writable(base):
            base = private_temp_dir()
        root = base / version / level
        seed(shipped_root / level, root)
    for sub in ("numba", "kernels"):
        _writable(root / sub)
    env["NUMBA_CACHE_DIR"] = str(root / "numba")
    env.setdefault("ZKWB_CACHE_DIR", str(root / "kernels"))
    env["NUMBA_CACHE_LOCATOR_CLASSES"] = ("engine.runtime.numba_locator.RelocatableLocator,"
                                          "UserProvidedCacheLocator")
    if level != NATIVE:
        cpu, cpu_features, _ = LEVELS[level]
        env["NUMBA_CPU_NAME"] = cpu
        env["NUMBA_CPU_FEATURES"] = cpu_features
    return level
