"""One assertion for every rejection test: rejected, for the reason the test expects.

The verifiers (``engine.verify``, ``engine.stark.verify``) turn any exception into an
"internal error" rejection, so ``assert not result.valid`` alone passes when the
verifier crashes. :func:`assert_rejected` fails then, and fails when the reason is not
one the test names: a test says why the claim must be refused.
"""
from __future__ import annotations

from engine.api import INTERNAL_ERROR as API_INTERNAL_ERROR
from engine.stark.verifier import INTERNAL_ERROR as STARK_INTERNAL_ERROR

# What the STARK verifier says when a proof of a witness that breaks a constraint or a
# bus is checked: its out-of-domain constraint check, the LogUp balance, or FRI and the
# Merkle openings (a quotient that is not a polynomial). Dishonest-prover tests expect
# one of these.
DISHONEST_WITNESS = ("the constraints do not hold",
                     "the LogUp sum S and the public messages do not cancel", "openings: ")


def assert_rejected(result, *expected: str) -> str:
    """Assert that ``result`` (anything with ``valid`` and ``reason``) is a rejection
    whose reason contains one of ``expected`` (at least one must be given), and is not a
    verifier's internal error. Returns the reason."""
    assert expected, "say which reason the rejection must give"
    assert not result.valid, "the verifier accepted a claim it must reject"
    reason = result.reason
    assert isinstance(reason, str) and reason, f"a rejection without a reason: {reason!r}"
    for internal in (API_INTERNAL_ERROR, STARK_INTERNAL_ERROR):
        assert not reason.startswith(internal), f"the verifier raised: {reason}"
    assert any(text in reason for text in expected), (
        f"rejected for another reason: {reason!r}; expected one of {expected!r}")
    return reason
