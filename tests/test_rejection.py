"""tests.rejection.assert_rejected fails unless the claim was rejected by a check, for a
reason the test names: a verifier that raised (reported as an internal error), one that
accepted, and one that refused for another reason all fail the rejection tests.

The last test runs rejection tests of the STARK verifier with a verifier that raises on
every call: each of them must fail.
"""
from __future__ import annotations

import os
import subprocess
import sys
from xml.etree import ElementTree
from types import SimpleNamespace

import pytest

from engine.api import INTERNAL_ERROR as API_INTERNAL_ERROR
from engine.stark import verify
from engine.stark.verifier import INTERNAL_ERROR as STARK_INTERNAL_ERROR
from tests.rejection import assert_rejected
from tests.stark.example_proofs import example_proof

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _result(valid: bool, reason: str | None) -> SimpleNamespace:
    return SimpleNamespace(valid=valid, reason=reason)


def test_a_rejection_for_an_expected_reason_passes_and_gives_the_reason():
    result = _result(False, "the LogUp proof of work is invalid: the proof was made for ...")
    assert assert_rejected(result, "Merkle", "LogUp proof of work") == result.reason


@pytest.mark.parametrize("result, expected, message", [
    (_result(True, None), ("anything",), "accepted"),
    (_result(False, f"{STARK_INTERNAL_ERROR}: IndexError: index 9 is out of bounds"),
     ("index",), "raised"),
    (_result(False, f"{API_INTERNAL_ERROR}: TypeError: 'NoneType' object"), ("NoneType",),
     "raised"),
    (_result(False, "openings: FRI proof of work is invalid"), ("the constraints do not hold",),
     "another reason"),
    (_result(False, None), ("anything",), "without a reason"),
    (_result(False, ""), ("",), "without a reason"),
    (_result(False, "the constraints do not hold"), (), "say which reason"),
])
def test_an_acceptance_a_crash_or_another_reason_fails(result, expected, message):
    with pytest.raises(AssertionError, match=message):
        assert_rejected(result, *expected)


def test_a_verifier_that_raises_fails_the_helper(monkeypatch):
    """The real verifier, made to raise inside: its verdict is a rejection, which a bare
    ``assert not result.valid`` accepts, and assert_rejected does not."""
    from engine.stark import verifier
    air, witness, proof = example_proof("fibonacci", 41)

    def broken(self, *args):
        raise IndexError("a bug in the verifier")

    monkeypatch.setattr(verifier._Verification, "verify", broken)
    result = verify(air, proof, public_values=witness.publics)
    assert not result.valid                              # what the old tests checked
    with pytest.raises(AssertionError, match="the verifier raised"):
        assert_rejected(result, "a bug in the verifier")


# A pytest plugin that makes the STARK verifier raise on every call.
_RAISING_VERIFIER = """
import engine.stark.verifier as verifier

def _raise(self, *args):
    raise RuntimeError("injected by tests/test_rejection.py")

verifier._Verification.verify = _raise
"""
# Rejection tests of the STARK verifier cheap enough to run twice: every one of them
# must fail when the verifier raises.
_REJECTION_TESTS = ["tests/stark/test_verifier.py", "tests/stark/test_golden.py",
                    "tests/stark/test_verifier_tamper.py"]
_SELECT = "(reject or refuses or floor or marks_failing) and not random"


@pytest.mark.slow
def test_every_selected_rejection_test_fails_when_the_verifier_raises(tmp_path):
    (tmp_path / "raising_verifier.py").write_text(_RAISING_VERIFIER)
    report = tmp_path / "report.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), ROOT])}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "raising_verifier", "-p", "no:xdist", f"--junitxml={report}",
                           "-k", _SELECT, *_REJECTION_TESTS], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert report.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    cases = ElementTree.parse(report).getroot().iter("testcase")
    outcomes = {f"{case.get('classname')}::{case.get('name')}":
                "failed" if case.find("failure") is not None or case.find("error") is not None
                else "skipped" if case.find("skipped") is not None else "passed"
                for case in cases}
    assert len(outcomes) > 60, done.stdout[-3000:]
    passed = sorted(name for name, outcome in outcomes.items() if outcome != "failed")
    assert passed == [], f"these rejection tests pass with a verifier that raises: {passed}"
    assert "the verifier raised" in done.stdout

