"""ZK Workbench engine: run, prove and verify RV32IM guests. Never imports Qt."""
from engine.errors import (Cancelled, CycleLimitExceeded, ElfError, GuestFault,
                           InputError, ZkwbError)

__all__ = ["Cancelled", "CycleLimitExceeded", "ElfError", "GuestFault", "InputError",
           "ZkwbError"]
__version__ = "0.1.0"
