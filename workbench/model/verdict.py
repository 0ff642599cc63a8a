"""What a receipt check means to a person: the verdict the Verification panel shows.

Qt-free, so that the distinction it draws is tested headless:

- ``VALID``: the seal proves the claim *and* the receipt is for the expected program
  (the one the user loaded, or an image ID pinned in the panel). Green, "✔ Valid".
- ``UNPINNED``: the seal proves the claim of the program the receipt carries, but no
  program was expected, so nothing says it is the program the user has in mind.
  Neutral: "Valid proof of program sha256.elf (…); not compared with an expected
  program". Never a green tick.
- ``INVALID``: the seal does not prove the claim, the file is not a receipt, or the
  receipt is for another image than the expected one (the reason names both). Red.
- ``NOT_VERIFIED``: a well-formed receipt that could not be checked (the reason says
  why).

Also the panel's words around the verdict: the figures of a receipt (``figures``), what
the expected-image field says it compares with (``expected_image_hint``), and what an image
ID pasted there means (``parse_image_id``).
"""
from __future__ import annotations

import os
import string
from dataclasses import dataclass

from engine.runtime.compile_time import describe_verify_time
from workbench.model.explain import Explanation, explain
from workbench.model.formatting import describe_size

VALID, UNPINNED, INVALID, NOT_VERIFIED = "valid", "unpinned", "invalid", "not verified"

#: ``workbench.views.theme.plot_colors`` key of each state's colour.
COLOR_ROLES = {VALID: "passed", UNPINNED: "neutral", INVALID: "failed",
               NOT_VERIFIED: "accent"}

NOT_COMPARED = "not compared with an expected program"


@dataclass(frozen=True)
class VerifySummary:
    """What the panel shows about one receipt.

    ``valid`` is the engine's verdict on the seal (None when the receipt is well
    formed but was not verified; ``reason`` says why). ``expected_image_id_hex`` is the
    image the user expects ("" when none was: the receipt was checked against the
    program it carries). ``program_name``/``expected_name`` name those images where the
    workbench knows them (the loaded program, the bundled samples), else "".
    """
    valid: bool | None
    reason: str
    path: str = ""
    image_id_hex: str = ""
    expected_image_id_hex: str = ""
    journal: bytes = b""
    exit_code: int | None = None
    security_bits: float | None = None
    trace_height: int | None = None          # the tallest segment's
    receipt_bytes: int | None = None
    seconds: float | None = None
    compile_seconds: float = 0.0
    program_name: str = ""
    expected_name: str = ""
    segment_count: int | None = None
    #: The commitments the verifier read, in order (names of its ``Committed`` events):
    #: a rejection names the one whose opening broke.
    commitments: tuple[str, ...] = ()

    @property
    def pinned(self) -> bool:
        """Whether an expected image was given."""
        return bool(self.expected_image_id_hex)

    @property
    def image_id_matches(self) -> bool | None:
        if not self.expected_image_id_hex or not self.image_id_hex:
            return None
        return self.expected_image_id_hex.lower() == self.image_id_hex.lower()

    def verdict(self) -> Verdict:
        return verdict_of(self)

    def explanation(self) -> Explanation | None:
        """Why the seal does not prove the claim, plainly and technically (None unless
        the receipt was rejected for its own sake, not for being another program's)."""
        if self.valid is not False or self.image_id_matches is False:
            return None
        return explain(self.reason, self.commitments, self.segment_count)


@dataclass(frozen=True)
class Verdict:
    """``state`` (``VALID``...), the panel's ``headline``, the line under the image ID
    (``image_note``), a one-line ``summary`` for signals and notices (the engine's
    words), and ``detail``: under a headline in plain words, the technical reason."""
    state: str
    headline: str
    image_note: str
    summary: str
    detail: str = ""

    @property
    def color_role(self) -> str:
        return COLOR_ROLES[self.state]

    @property
    def proven(self) -> bool:
        """Whether the seal proves the claim (of the expected program or, unpinned, of
        the one the receipt names)."""
        return self.state in (VALID, UNPINNED)


def short_image_id(image_id_hex: str) -> str:
    """``"79805dfd2352…ed4c14"``: enough to recognise, short enough for the panel."""
    if len(image_id_hex) <= 20:
        return image_id_hex or "–"
    return f"{image_id_hex[:12]}…{image_id_hex[-6:]}"


def describe_image(image_id_hex: str, name: str = "") -> str:
    """``"sha256.elf (image 1a2b3c4d5e6f…a1b2c3)"``, or ``"image 1a2b…"`` when unnamed."""
    image = f"image {short_image_id(image_id_hex)}"
    return f"{name} ({image})" if name else image


def parse_image_id(text: str) -> str | None:
    """The image ID in ``text`` (64 hex digits, ``0x`` and surrounding blanks allowed),
    lower case; None when it is not one (the loaded program's is used then)."""
    text = text.strip().lower().removeprefix("0x")
    if len(text) == 64 and all(c in string.hexdigits for c in text):
        return text
    return None


def expected_image_hint(name: str, image_id_hex: str) -> str:
    """What the expected-image field says receipts are compared with: the loaded
    program (``name``, ``image_id_hex``) or, with none, nothing."""
    if image_id_hex:
        return f"{name}'s, {short_image_id(image_id_hex)} (or paste an image ID to pin another)"
    return "none: open a program or paste an image ID to compare receipts with it"


#: The figures ``figures`` gives, in the panel's order, with their labels.
FIGURES = (("receipt", "Receipt"), ("image", "Image ID"), ("exit", "Exit code"),
           ("security", "Security"), ("height", "Trace height"), ("size", "Receipt size"),
           ("time", "Verify time"))


def figures(summary: VerifySummary) -> dict[str, str]:
    """The text of each of ``FIGURES`` for ``summary`` ("–" for what is not known); the
    image ID carries the verdict's note on whether it is the expected one."""
    note = summary.verdict().image_note
    return {
        "receipt": os.path.basename(summary.path) or "–",
        "image": short_image_id(summary.image_id_hex) + (f"\n{note}" if note else ""),
        "exit": "–" if summary.exit_code is None else str(summary.exit_code),
        "security": ("–" if summary.security_bits is None
                     else f"{summary.security_bits:.0f} bits (conjectured)"),
        "height": describe_height(summary),
        "size": "–" if summary.receipt_bytes is None else describe_size(summary.receipt_bytes),
        "time": ("–" if summary.seconds is None
                 else describe_verify_time(summary.seconds, summary.compile_seconds)),
    }


def describe_height(summary: VerifySummary) -> str:
    """``"4,096 rows"``; ``"3 segments, up to 4,096 rows"`` for a receipt of several."""
    if summary.trace_height is None:
        return "–"
    if summary.segment_count and summary.segment_count > 1:
        return f"{summary.segment_count:,} segments, up to {summary.trace_height:,} rows"
    return f"{summary.trace_height:,} rows"


def mismatch_reason(summary: VerifySummary) -> str:
    return (f"the receipt is for {describe_image(summary.image_id_hex, summary.program_name)}, "
            f"not the expected "
            f"{describe_image(summary.expected_image_id_hex, summary.expected_name)}")


def verdict_of(summary: VerifySummary) -> Verdict:
    """The verdict a person reads for ``summary``."""
    receipt = describe_image(summary.image_id_hex, summary.program_name)
    expected = describe_image(summary.expected_image_id_hex, summary.expected_name)
    match = summary.image_id_matches
    if match is None:
        note = f"{NOT_COMPARED} (none was loaded or pinned)" if summary.image_id_hex else ""
    elif match:
        note = f"matches the expected {summary.expected_name or 'one'}"
    else:
        note = f"does NOT match the expected {expected}"

    if summary.valid is None:
        return Verdict(NOT_VERIFIED, f"Not verified: {summary.reason}", note,
                       f"Not verified: {summary.reason}")
    if match is False:
        # Whatever the seal proves, it is not a claim of the program the user expects
        # (the engine does not even check the seal of a receipt for another image).
        reason = mismatch_reason(summary)
        return Verdict(INVALID, f"✘ Invalid: {reason}", note, f"Invalid: {reason}")
    if not summary.valid:
        explanation = summary.explanation()
        return Verdict(INVALID, f"✘ Invalid: {explanation.plain}", note,
                       f"Invalid: {summary.reason}", f"Technical reason: {summary.reason}")
    if match:
        who = (f"{summary.expected_name}, the expected program," if summary.expected_name
               else f"the expected program ({expected})")
        text = f"Valid: {who} produced this claim"
        return Verdict(VALID, f"✔ {text}", note, text)
    which = receipt if summary.program_name else short_image_id(summary.image_id_hex)
    text = f"Valid proof of program {which}; {NOT_COMPARED}"
    return Verdict(UNPINNED, text, note, text)


def summary_of_check(check) -> VerifySummary:
    """The ``VerifySummary`` of a ``workbench.model.tasks.ReceiptCheck``."""
    receipt, verification = check.receipt, check.verification
    expected = check.expected_image_id
    return VerifySummary(
        valid=check.valid, reason=check.reason, path=check.path,
        image_id_hex=receipt.image_id.hex() if receipt else "",
        expected_image_id_hex=expected.hex() if receipt and expected else "",
        journal=receipt.journal if receipt else b"",
        exit_code=receipt.exit_code if receipt else None,
        security_bits=(verification.security_bits if verification and check.valid
                       else receipt.security_bits if receipt else None),
        trace_height=(1 << receipt.log_trace_height) if receipt else None,
        segment_count=receipt.segment_count if receipt else None,
        receipt_bytes=check.size, seconds=check.seconds,
        compile_seconds=verification.compile_seconds if verification else 0.0,
        program_name=check.program_name, expected_name=check.expected_name)
