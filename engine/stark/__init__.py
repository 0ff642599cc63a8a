"""STARKs over BabyBear: AIRs, LogUp, FRI, and the prover and verifier that use them.

The names most callers need, re-exported (lazily, so importing one submodule does not
load them all): ``prove``, ``verify``, ``Proof``, ``VerifyResult``, ``ProvingError``,
``ProofParams``, ``encode_proof``, ``decode_proof``, ``ProofLimits``,
``trace_height_for``, ``trace_shape``, ``min_trace_height``, ``PublicMessages``.
See ``docs/stark.md``.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "prove": "engine.stark.prover",
    "ProvingError": "engine.errors",
    "verify": "engine.stark.verifier",
    "VerifyResult": "engine.stark.verifier",
    "Proof": "engine.stark.proof",
    "ProofLimits": "engine.stark.proof",
    "encode_proof": "engine.stark.proof",
    "decode_proof": "engine.stark.proof",
    "ProofParams": "engine.stark.params",
    "trace_height_for": "engine.stark.protocol",
    "trace_shape": "engine.stark.protocol",
    "min_trace_height": "engine.stark.protocol",
    "PublicMessages": "engine.stark.logup_trace",
}

__all__ = ["Proof", "ProofLimits", "ProofParams", "ProvingError", "PublicMessages",
           "VerifyResult", "decode_proof", "encode_proof", "min_trace_height", "prove",
           "trace_height_for", "trace_shape", "verify"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine.stark' has no attribute {name!r}")
