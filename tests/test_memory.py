"""The prover's arrays use small pages (engine/runtime/memory.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import engine.api
import engine.stark.prover
from engine.runtime.resources import guest_path
from engine.vm import load_elf

_CHILD = """
try:
    from numpy._core import multiarray
except ImportError:
    from numpy.core import multiarray
from engine.runtime.memory import use_small_pages
use_small_pages()
use_small_pages()
print(multiarray._set_madvise_hugepage(True))
"""


def _huge_pages_after(extra_env: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"} | extra_env
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_numpys_huge_page_advice_is_turned_off():
    assert _huge_pages_after({}) == "False"


def test_a_users_own_choice_is_kept():
    assert _huge_pages_after({"NUMPY_MADVISE_HUGEPAGE": "1"}) == "True"


def test_both_provers_ask_for_small_pages(monkeypatch):
    calls = []
    monkeypatch.setattr(engine.api, "use_small_pages", lambda: calls.append("api"))
    monkeypatch.setattr(engine.stark.prover, "use_small_pages", lambda: calls.append("stark"))
    engine.api.prove(load_elf(guest_path("fibonacci")), b"1")
    assert calls == ["api", "stark"]
