"""The verdict a ``zkwb`` command printed, as an object with ``valid`` and ``reason``, so
that CLI rejection tests use ``tests.rejection.assert_rejected`` like the others."""
from __future__ import annotations

import json
from types import SimpleNamespace


def printed_verdict(err: str) -> SimpleNamespace:
    """The verdict ``zkwb verify`` (or ``zkwb ml explain``) printed on stderr: rejected
    with the reason of its ``INVALID: reason`` line, or, with no such line, accepted."""
    lines = [line for line in err.splitlines() if line.startswith("INVALID: ")]
    return SimpleNamespace(valid=not lines, reason=lines[0][len("INVALID: "):] if lines else None)


def json_verdict(out: str) -> SimpleNamespace:
    """The verdict of a ``--json`` verifying command: its ``valid`` and ``reason``."""
    obj = json.loads(out)
    return SimpleNamespace(valid=obj["valid"], reason=obj.get("reason"))
