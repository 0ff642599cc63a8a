"""ZK Workbench engine: run, prove and verify RV32IM guests. Never imports Qt.

The public API (docs/design.md, "Layout"): ``load_elf``, ``execute``, ``prove``, ``verify``
and its ``VerificationPolicy``, ``Receipt`` and its ``SegmentSeal``, ``read_receipt``,
``write_receipt``, ``ProofParams``, the progress events of ``engine.events`` and
``CancelToken``, and the errors of ``engine.errors``. Names are imported on first use,
so ``import engine`` stays cheap.
"""
from __future__ import annotations

import importlib

from engine.errors import (Cancelled, CycleLimitExceeded, ElfError, GuestFault, InputError,
                           ProvingError, TraceLimitExceeded, ZkwbError)

__version__ = "0.1.0"

_EXPORTS = {
    "load_elf": "engine.vm", "execute": "engine.vm", "Program": "engine.vm",
    "ExecutionResult": "engine.vm",
    "prove": "engine.api", "verify": "engine.api", "ProveResult": "engine.api",
    "VerificationResult": "engine.api", "VerificationPolicy": "engine.policy",
    "Receipt": "engine.receipt", "SegmentSeal": "engine.receipt",
    "read_receipt": "engine.receipt", "write_receipt": "engine.receipt",
    "ReceiptError": "engine.receipt",
    "ProofParams": "engine.stark.params",
    "CancelToken": "engine.events", "PhaseStarted": "engine.events",
    "PhaseFinished": "engine.events", "Progress": "engine.events",
    "TraceReady": "engine.events", "Committed": "engine.events",
    "FriLayers": "engine.events", "QueryPositions": "engine.events",
    "QueryChecked": "engine.events",
}

__all__ = ["Cancelled", "CycleLimitExceeded", "ElfError", "GuestFault",  # noqa: PLE0604
           "InputError", "ProvingError", "TraceLimitExceeded", "ZkwbError", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
