"""Why a receipt was rejected, in a person's words, and where the check broke.

The engine's reasons are precise and technical ("openings: query rows of commitment 3:
Merkle opening does not match the root"). ``explain`` maps them to a plain sentence
(shown first), keeps the engine's words (shown under it), and says what the Queries
tab marks: the commitment whose opening broke (``commitment``, an index into the
commitments the verifier read, in their order, or the FRI layer, ``fri_layer``: 0 is
the LDE domain's codeword) and, where the engine checked the queries one by one, which
failed (their ``QueryChecked`` events). A Merkle opening is checked for all the queries
at once, so when one breaks no single query is to blame: the queries are then shown
as not checked, not as failed.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

#: What each commitment the verifier reads holds, by the name of its ``Committed`` event.
COMMITMENT_CONTENTS = {
    "preprocessed": "the fixed tables (program image, ranges)",
    "stage0": "the segment's boundary columns",
    "main": "the execution trace",
    "aux": "the LogUp bus columns",
    "quotient": "the constraints' quotient",
    "mask": "the zero-knowledge mask",
}


@dataclass(frozen=True)
class Explanation:
    """``plain``: a sentence for anyone; ``technical``: the engine's reason.
    ``commitment``/``commitment_name``: the commitment whose opening broke (index in
    the verifier's order, its name when known); ``fri_layer``: the FRI layer whose
    opening broke; ``query``: the first query the engine found wrong (None when the
    check was not per query); ``batch``: True when the break is a Merkle opening of
    all queries at once (no query is to blame)."""
    plain: str
    technical: str
    commitment: int | None = None
    commitment_name: str = ""
    fri_layer: int | None = None
    query: int | None = None
    batch: bool = False

    @property
    def where(self) -> str:
        """Where it broke, for the Queries tab ("" when not at a commitment)."""
        if self.commitment is not None:
            name = self.commitment_name or f"commitment {self.commitment}"
            return f"✘ commitment “{name}” ({COMMITMENT_CONTENTS.get(name, 'committed data')})"
        if self.fri_layer is not None:
            return f"✘ FRI layer {self.fri_layer}"
        return ""


#: The engine's prefix for a rejection in one segment of several (counted from 0).
_SEGMENT = re.compile(r"segment (\d+): ")
_COMMITMENT = re.compile(r"query rows of (?:commitment (\d+)|(mask))")
_FRI_LAYER = re.compile(r"FRI layer (\d+):")
_FRI_QUERY = re.compile(r"FRI query (\d+) \(position (\d+)\) is inconsistent \((\d+) of (\d+)")

_PLAIN = (
    ("format",
     ("This receipt was written by another version of zkwb, which this one cannot read: "
      "prove the program again to get a receipt this version checks.")),
    ("another claim",
     ("The receipt's claim (its journal, exit code or program) was changed after it was"
      ' proved: the proof is of a different claim.')),
    ("the receipt is for ",
     'This receipt is for another program than the one you expect.'),
    ("detached",
     ('This receipt carries no program, and the program loaded is not the one it was '
      'made for.')),
    ("constraints do not hold",
     ("The proof's answers are each consistent, but the trace they describe breaks the "
      'rules of the machine: it is not a correct run.')),
    ("LogUp",
     ("The proof's memory and lookup accounting does not balance: the trace it commits "
      'to is not a correct run, or the proof was altered.')),
    ("proof of work",
     ("The proof's proof-of-work does not match: it was made for other inputs or "
      'altered.')),
    ("security",
     "The proof's parameters are weaker than this verifier accepts."),
    ("shape",
     ('The proof is not laid out as its parameters require: it was altered or made by '
      'another program.')),
    ("malformed",
     'The proof inside the receipt is damaged: it cannot be read.'),
    ("truncated",
     'The file ends too early: it is a damaged or incomplete receipt.'),
    ("not a zkwb receipt",
     'This file is not a zkwb receipt.'),
    ("not a receipt",
     'This file is not a zkwb receipt.'),
    ("section",
     ('The file is damaged or incomplete: a part of it does not have the length it '
      'states.')),
    ("magic",
     'This file is not a zkwb receipt.'),
    ("preprocessed",
     'The proof was made for another program image or machine.'),
)


def explain(reason: str, commitments: list[str] | tuple[str, ...] = (),
            segments: int | None = None) -> Explanation:
    """The ``Explanation`` of the engine's rejection ``reason``; ``commitments`` names
    the commitments the verifier read, in order (the ``Committed`` events' names).
    ``segments``: the receipt's segment count; when the engine names the segment that
    failed (``"segment 1: …"``, counted from 0), the plain sentence starts with it as a
    person counts them (``"Segment 2 of 3: …"``, as the segment strip says)."""
    explanation = _explain(reason, commitments)
    match = _SEGMENT.match(reason)
    if match and segments and segments > 1:
        explanation = dataclasses.replace(
            explanation, plain=f"Segment {int(match.group(1)) + 1} of {segments}: "
                               f"{explanation.plain}")
    return explanation


def _explain(reason: str, commitments) -> Explanation:
    technical = reason
    match = _COMMITMENT.search(reason)
    if match:
        if match.group(2):
            index, name = len(commitments), "mask"
        else:
            index = int(match.group(1))
            name = commitments[index] if index < len(commitments) else ""
        what = COMMITMENT_CONTENTS.get(name, "the committed data")
        return Explanation(
            f"The proof's answers do not match what it committed to: the rows it opened "
            f"from {what} are not the ones under its Merkle root. The receipt was altered "
            f"(or damaged) after it was made.", technical, commitment=index,
            commitment_name=name, batch=True)
    match = _FRI_LAYER.search(reason)
    if match:
        layer = int(match.group(1))
        return Explanation(
            f"The proof's answers in FRI layer {layer} do not match what it committed to "
            f"(their Merkle root): the receipt was altered or damaged after it was made.",
            technical, fri_layer=layer, batch=True)
    match = _FRI_QUERY.search(reason)
    if match:
        query, _, failed, total = (int(g) for g in match.groups())
        return Explanation(
            f"{failed} of the {total} random spot checks fail: the committed data is not "
            f"close to a low-degree polynomial, so it cannot come from a correct trace.",
            technical, query=query)
    for needle, plain in _PLAIN:
        if needle.lower() in reason.lower():
            return Explanation(plain, technical)
    return Explanation("The receipt does not prove its claim.", technical)
