"""Exceptions a user can cause. Each carries a message a person understands."""
from __future__ import annotations


class ZkwbError(Exception):
    """Base class of every error the engine raises on bad input or a failing guest."""


class InputError(ZkwbError):
    """An input file or value cannot be used (unreadable, too large, malformed)."""


class ElfError(InputError):
    """The file is not a guest program zkwb can run (not ELF32 RISC-V, bad segments...)."""


class GuestFault(ZkwbError):
    """The guest stopped without exiting: illegal instruction, bad access, ebreak...

    ``pc`` and ``insn`` name the faulting instruction; ``cycles`` is how many cycles
    ran before it; ``journal`` and ``log`` hold what the guest wrote until then.
    """

    def __init__(self, reason: str, pc: int, insn: int | None, cycles: int,
                 journal: bytes = b"", log: bytes = b""):
        self.reason = reason
        self.pc = pc
        self.insn = insn
        self.cycles = cycles
        self.journal = journal
        self.log = log
        where = f"pc=0x{pc:08x}"
        if insn is not None:
            where += f" (instruction 0x{insn:08x})"
        super().__init__(f"guest fault at {where} after {cycles} cycles: {reason}")


class CycleLimitExceeded(GuestFault):
    """The guest ran for ``max_cycles`` cycles without exiting."""


class Cancelled(ZkwbError):
    """Work was stopped through a cancel token."""


class TraceLimitExceeded(ZkwbError):
    """A run needs a longer trace than the prover supports. ``cycles``: the run's length
    in cycles and ``limit``: the most one proof covers, where known."""

    def __init__(self, message: str, *, cycles: int | None = None, limit: int | None = None):
        super().__init__(message)
        self.cycles = cycles
        self.limit = limit


class ProvingError(ZkwbError):
    """The witness cannot be proven. ``report`` is the row checker's
    ``engine.stark.check_constraints.CheckReport`` when it found the problem."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report
