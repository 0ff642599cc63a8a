"""Tests of the RV32IM virtual machine, the guest SDK and the sample guests."""
