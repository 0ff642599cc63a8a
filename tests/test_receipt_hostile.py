"""Hostile receipts: each is rejected by a cheap check, for its own reason, and costs no
more to reject than an honest receipt costs to accept, never more than 1 GB.

The forgeries (tests/receipt_forgeries.py) are an honest fibonacci receipt (2^10 rows)
edited with the receipt and proof encoders. Peak memory is measured in a fresh child
process per receipt (``ru_maxrss`` after ``engine.verify``), the honest baseline the
same way.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from engine.api import prove, verify
from engine.policy import VerificationPolicy
from engine.receipt import encode_receipt
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.receipt_edits import with_segment
from tests.receipt_forgeries import forgeries
from tests.rejection import assert_rejected

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GB = 1 << 30
# What a child may use beyond the honest baseline: the forged receipt's own bytes in
# memory (the journal forgery is a 16 MiB file) and allocator noise.
MARGIN = 64 << 20

# name -> (what the reason must say by default, what it must say when the receipt's
# parameters are allowed explicitly)
EXPECTED = {
    "height_2^22_blowup_16": ("verifier's policy", "claims a trace of 2^22 rows"),
    "height_2^20_blowup_16": ("verifier's policy", "FRI proof has 4 layer roots"),
    "height_2^20": ("FRI proof has 4 layer roots", None),
    "code_2^22_words": ("its code spans 4,194,304 words", None),
    "data_2^20_words": ("initial words", None),
    "journal_16MiB": ("a journal of 16,777,215 bytes", None),
    "counts_at_caps": ("the seal is malformed", None),
    "honest_shaped_2^20": ("the preprocessed columns do not match", None),
}
# Costs O(H) by design (it has the shape of an honest 2^20-row proof): measured
# against the 1 GB bound only, as no honest 2^20-row receipt is made here.
AS_DEAR_AS_HONEST = {"honest_shaped_2^20"}

_CHILD = """
import json, resource, sys, time
import engine
from engine.policy import VerificationPolicy, parse_params_spec
from engine.receipt import read_receipt
receipt = read_receipt(sys.argv[1])
policy = (VerificationPolicy.allowing(parse_params_spec(sys.argv[2])) if len(sys.argv) > 2
          else VerificationPolicy())
start = time.perf_counter()
result = engine.verify(receipt, policy=policy)
print(json.dumps({"valid": result.valid, "reason": result.reason,
                  "seconds": time.perf_counter() - start,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


@pytest.fixture(scope="module")
def honest():
    return prove(load_elf(guest_path("fibonacci"))).receipt


@pytest.fixture(scope="module")
def forged(honest):
    assert verify(honest).valid        # also compiles what the children load from the cache
    made = forgeries(honest)
    assert set(made) == set(EXPECTED)
    return made


@pytest.fixture(scope="module")
def files(tmp_path_factory, honest, forged):
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for name, receipt in {"honest": honest, **forged}.items():
        paths[name] = folder / f"{name}.zkr"
        paths[name].write_bytes(encode_receipt(receipt))
    return paths


def _measure(path, allow: str | None = None) -> dict:
    """Verify ``path`` in a fresh process: its verdict, seconds and peak RSS in bytes.

    The child is started through a shell that forks it: Linux carries a process's peak
    RSS over fork and exec, so a child started straight from this (large) test process
    would report the test process's peak instead of its own."""
    env = {**os.environ, "PYTHONPATH": ROOT}
    command = [sys.executable, "-c", _CHILD, str(path), *([allow] if allow else [])]
    out = subprocess.run(["sh", "-c", '"$0" "$@"; exit $?', *command], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_forgery_is_rejected_for_its_own_reason(forged, name):
    receipt = forged[name]
    by_default, when_allowed = EXPECTED[name]
    assert_rejected(verify(receipt), by_default)
    if when_allowed:
        assert_rejected(verify(receipt, policy=VerificationPolicy.allowing(receipt.params)),
                        when_allowed)


def test_a_forgery_pinned_to_its_program_is_rejected_alike(forged):
    program = load_elf(guest_path("fibonacci"))
    for name in ("height_2^20", "counts_at_caps", "journal_16MiB"):
        assert_rejected(verify(forged[name], program=program), EXPECTED[name][0])


def test_the_cheap_checks_run_before_anything_of_the_claimed_height(forged):
    # A verification that reaches the preprocessed columns reports the phase; none of
    # the cheap rejections does.
    from engine.events import PhaseStarted
    for name in set(EXPECTED) - AS_DEAR_AS_HONEST:
        events = []
        assert_rejected(verify(forged[name], on_event=events.append), EXPECTED[name][0])
        assert not [e for e in events if isinstance(e, PhaseStarted)], name
    events = []
    assert_rejected(verify(forged["honest_shaped_2^20"], on_event=events.append),
                    EXPECTED["honest_shaped_2^20"][0])
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == ["preprocessed"]


def test_rejecting_a_forgery_costs_no_more_than_accepting_an_honest_receipt(files):
    baseline = _measure(files["honest"])
    assert baseline["valid"] is True, baseline
    assert baseline["rss"] < GB
    measured = {}
    for name in EXPECTED:
        allow = None
        if name.startswith("height_2^2") and "blowup_16" in name:
            allow = "log_blowup=4"      # past the policy, to the height and shape checks
        got = _measure(files[name], allow)
        measured[name] = got
        needle = EXPECTED[name][1] if allow else EXPECTED[name][0]
        assert_rejected(SimpleNamespace(valid=got["valid"], reason=got["reason"]), needle)
        assert got["rss"] < GB, (name, got)
        if name not in AS_DEAR_AS_HONEST:
            assert got["rss"] <= baseline["rss"] + MARGIN, (name, got, baseline)
            assert got["seconds"] <= 3 * baseline["seconds"] + 1.0, (name, got, baseline)
    print(json.dumps({"honest": baseline, **measured}, indent=1))


def test_a_policy_that_allows_blowup_16_still_refuses_2_to_the_22_rows(forged):
    receipt = forged["height_2^22_blowup_16"]
    policy = VerificationPolicy.allowing(receipt.params)
    assert_rejected(verify(receipt, policy=policy), "2^10 to 2^20 rows")
    # and a receipt stating a height that its seal does not have is refused as well
    other = with_segment(forged["height_2^20"], 0, log_trace_height=19)
    assert_rejected(verify(other), "different trace height than its seal")
