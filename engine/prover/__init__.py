"""Proving a run as segments: plan the cut, prove each segment, assemble the seals
(``docs/continuations.md``). ``local`` proves them one after another in this process."""
from engine.prover.local import (DEFAULT_LOG_SEGMENT_HEIGHT, MIN_LOG_SEGMENT_HEIGHT, ProvedRun,
                                 prove_run)

__all__ = ["DEFAULT_LOG_SEGMENT_HEIGHT", "MIN_LOG_SEGMENT_HEIGHT", "ProvedRun", "prove_run"]
