"""The RV32IM machine AIR and its witness generation (``docs/circuit.md``)."""
