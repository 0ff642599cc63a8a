"""How the prover's arrays get their memory: small pages, not transparent huge pages.

NumPy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array
of 4 MiB or more. Where the kernel's THP ``defrag`` setting is ``madvise`` (the default
of Debian and Ubuntu), each page fault in such an array may first compact memory, on the
faulting thread, and a prover touches gigabytes of new memory per proof. Measured on the
2-core development machine (``zkwb bench --only prove``, docs/benchmarks.md): with
NumPy's default, a 2^18-row proof spent 5.2 s of CPU in the kernel and ran at 22–24
kHz; with small pages 1.5 s and 31 kHz (2^16 rows: 23–24 → 31–33 kHz). Huge pages only
won back ~5 % on a second proof in the same process, when its memory was already
mapped.

:func:`use_small_pages` turns NumPy's advice off for the process, once, unless the user
chose a policy with ``$NUMPY_MADVISE_HUGEPAGE`` (NumPy's own switch). The prover calls
it; nothing else in the process changes.
"""
from __future__ import annotations

import os

_done = False


def use_small_pages() -> None:
    global _done
    if _done:
        return
    _done = True
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    try:
        from numpy._core import multiarray
    except ImportError:                      # NumPy 1.x
        from numpy.core import multiarray
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is not None:
        setter(False)
