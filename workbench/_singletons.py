"""Keep ``None``, ``True`` and ``False`` alive under a shiboken6 that drops references.

shiboken6 6.12.0 (the ``cp310-abi3`` wheels) returns ``None`` from void methods and
``True`` from ``Signal.emit`` without taking a reference, as if they were immortal,
which they are only from CPython 3.12 on. On CPython 3.10 and 3.11 every such call
lowers their reference count by one; ``None`` starts near 5,000 and ``True`` near 150,
so a GUI aborts within seconds ("Fatal Python error: none_dealloc: deallocating
None"). Measured here: 200,000 ``QLabel.setText`` calls abort; 50 ``emit`` calls take
50 references off ``True``.

These objects are never freed anyway, so adding a large count to each makes them
effectively immortal, as CPython 3.12 does itself. Nothing changes on 3.12 and later.
"""
from __future__ import annotations

import sys

_HEADROOM = 1 << 48


def keep_singletons_alive() -> bool:
    """Make the singletons immortal on CPython < 3.12; True if anything was done."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    import ctypes
    for obj in (None, True, False, NotImplemented, Ellipsis):
        # ob_refcnt is the first field of every PyObject in CPython's object layout.
        refcount = ctypes.c_ssize_t.from_address(id(obj))
        if refcount.value < _HEADROOM:
            refcount.value += _HEADROOM
    return True
