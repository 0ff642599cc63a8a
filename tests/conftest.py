"""Shared test fixtures.

Tests that need an external tool (qemu-riscv32, the RISC-V cross compiler, xvfb) skip
when it is missing on a user's machine, but fail in CI (CI=true), where .ci/run must
have installed it.
"""
from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Return the path of executable ``name``; skip the test (fail in CI) if absent."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/setup test installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path
