"""The verdict means "the program you expect produced this claim", decided headless.

A receipt for another image than the expected one is Invalid and names both images; a
receipt checked with no expected program is a neutral "valid proof of program X, not
compared"; only a receipt of the expected program is a green "✔ Valid". The receipts
are real proofs of two small guests (tests/workbench_model/receipts.py).
"""
from __future__ import annotations

import pytest

from engine.events import CancelToken
from engine.receipt import ProgramImage, Receipt, SegmentSeal, decode_receipt, encode_receipt
from engine.stark.params import ProofParams
from tests.receipt_edits import with_journal
from tests.rejection import assert_rejected
from tests.workbench_model.receipts import program, write_receipts
from workbench.model import tasks
from workbench.model.verdict import (FIGURES, INVALID, NOT_COMPARED, NOT_VERIFIED, UNPINNED,
                                     VALID, VerifySummary, expected_image_hint, figures,
                                     parse_image_id, short_image_id, summary_of_check,
                                     verdict_of)


@pytest.fixture(scope="module")
def receipts(tmp_path_factory):
    return write_receipts(tmp_path_factory.mktemp("receipts"))


def _check(path, expected=None, program_=None):
    return tasks.run_receipt_check(path, expected, program_, lambda event: None, CancelToken())


def _short(program_) -> str:
    return short_image_id(program_.image_id_hex)


def test_a_receipt_for_another_program_is_invalid_and_names_both_images(receipts):
    fib, hello = program("fibonacci"), program("hello")
    check = _check(receipts["fibonacci"], hello.image_id, hello)
    assert_rejected(check, f"the receipt is for image {fib.image_id_hex}, not the expected "
                           f"{hello.image_id_hex}")
    assert check.expected_image_id == hello.image_id
    assert check.verification.expected_image_id == hello.image_id    # pinned in the engine
    verdict = summary_of_check(check).verdict()
    assert verdict.state == INVALID and verdict.color_role == "failed"
    assert verdict.headline == (f"✘ Invalid: the receipt is for fibonacci.elf (image "
                                f"{_short(fib)}), not the expected hello.elf (image "
                                f"{_short(hello)})")
    assert verdict.summary == verdict.headline.removeprefix("✘ ")
    assert verdict.image_note == f"does NOT match the expected hello.elf (image {_short(hello)})"


def test_a_receipt_of_the_expected_program_is_valid(receipts):
    fib = program("fibonacci")
    check = _check(receipts["fibonacci"], fib.image_id, fib)
    verdict = summary_of_check(check).verdict()
    assert check.valid is True and check.reason == ""
    assert verdict.state == VALID and verdict.color_role == "passed" and verdict.proven
    assert verdict.headline == "✔ Valid: fibonacci.elf, the expected program, produced this claim"
    assert verdict.image_note == "matches the expected fibonacci.elf"


def test_a_receipt_with_no_expected_program_is_checked_unpinned(receipts):
    fib = program("fibonacci")
    check = _check(receipts["fibonacci"], None, program("hello"))
    assert check.valid is True and check.expected_image_id is None
    assert check.verification.expected_image_id is None
    verdict = summary_of_check(check).verdict()
    assert verdict.state == UNPINNED and verdict.color_role == "neutral" and verdict.proven
    assert verdict.headline == (f"Valid proof of program fibonacci.elf (image {_short(fib)}); "
                                f"{NOT_COMPARED}")
    assert "✔" not in verdict.headline and "✘" not in verdict.headline
    assert verdict.image_note == f"{NOT_COMPARED} (none was loaded or pinned)"


def test_an_unknown_program_is_named_by_its_short_image_id():
    image = "0123456789abcdef" * 4
    verdict = verdict_of(VerifySummary(True, "", "x.zkr", image))
    assert verdict.headline == f"Valid proof of program {short_image_id(image)}; {NOT_COMPARED}"
    other = "fedcba9876543210" * 4
    mismatch = verdict_of(VerifySummary(True, "", "x.zkr", image, other))
    assert mismatch.state == INVALID, "a valid seal for another image is still Invalid"
    assert mismatch.headline == (f"✘ Invalid: the receipt is for image {short_image_id(image)}, "
                                 f"not the expected image {short_image_id(other)}")


def test_a_receipt_that_was_not_verified_says_why_and_is_not_proven():
    verdict = verdict_of(VerifySummary(None, "verification is not available", "x.zkr",
                                       "ab" * 32))
    assert verdict.state == NOT_VERIFIED and not verdict.proven
    assert verdict.headline == verdict.summary == "Not verified: verification is not available"


def test_a_detached_receipt_needs_the_program_it_was_made_for(receipts):
    fib, hello = program("fibonacci"), program("hello")
    wrong = _check(receipts["detached"], None, hello)
    assert_rejected(wrong, "the loaded program, hello.elf, is not the one it was made for")
    assert summary_of_check(wrong).verdict().state == INVALID
    right = summary_of_check(_check(receipts["detached"], fib.image_id, fib)).verdict()
    assert right.state == VALID


def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_tampered_receipts_are_rejected_for_their_reason(receipts, tmp_path):
    hello = program("hello")
    genuine = open(receipts["hello"], "rb").read()
    forged = encode_receipt(with_journal(decode_receipt(genuine), b"Hello, ZK Workbench?"))
    image = ProgramImage.from_program(hello)
    fake_seal = encode_receipt(Receipt(image_id=image.image_id(), exit_code=0, journal=b"hi\n",
                                       params=ProofParams(), security_bits=100.5,
                                       image=image,
                                       segments=(SegmentSeal(12, 3, b"\x00" * 64),)))
    cases = [
        ("forged.zkr", forged, "its segments were proved for another claim"),
        ("garbage.zkr", b"ZKWB garbage", "this is not a zkwb receipt"),
        ("cut.zkr", fake_seal[: len(fake_seal) // 2], "length of the program image section"),
        ("seal.zkr", fake_seal, "the seal is malformed"),
    ]
    for name, data, reason in cases:
        check = _check(_write(tmp_path, name, data), None, hello)
        assert_rejected(check, reason)
        verdict = summary_of_check(check).verdict()
        assert verdict.state == INVALID, name
        assert verdict.headline.startswith("✘ Invalid: "), name
        assert verdict.headline != f"✘ Invalid: {check.reason}", f"{name}: not in plain words"
        assert verdict.detail == f"Technical reason: {check.reason}", name


def test_the_figures_of_a_verified_receipt_and_of_an_unreadable_one():
    summary = VerifySummary(True, "", "/tmp/r/a.zkr", "ab" * 32, "ab" * 32, b"42\n", 0, 101.5,
                            1 << 16, 123_456, 0.012, program_name="a.elf",
                            expected_name="a.elf")
    shown = figures(summary)
    assert list(shown) == [key for key, _ in FIGURES]
    assert shown == {"receipt": "a.zkr",
                     "image": "abababababab…ababab\nmatches the expected a.elf",
                     "exit": "0", "security": "102 bits (conjectured)",
                     "height": "65,536 rows", "size": "120.6 KiB (123,456 bytes)",
                     "time": shown["time"]}
    assert shown["time"].startswith("12")
    unknown = figures(VerifySummary(False, "this is not a zkwb receipt"))
    assert set(unknown.values()) == {"–"}


def test_the_height_of_a_receipt_of_several_segments_names_them():
    one = VerifySummary(True, "", "a.zkr", trace_height=1 << 12, segment_count=1)
    assert figures(one)["height"] == "4,096 rows"
    three = VerifySummary(True, "", "a.zkr", trace_height=1 << 12, segment_count=3)
    assert figures(three)["height"] == "3 segments, up to 4,096 rows"


def test_a_pasted_image_id_is_64_hex_digits():
    image = "AB" * 32
    assert parse_image_id(f"  0x{image}\n") == image.lower()
    for text in ("", "ab" * 31, "ab" * 33, "zz" * 32, "0x"):
        assert parse_image_id(text) is None, text


def test_the_expected_image_field_says_what_receipts_are_compared_with():
    image = "cd" * 32
    assert expected_image_hint("sort.elf", image) == (
        f"sort.elf's, {short_image_id(image)} (or paste an image ID to pin another)")
    assert expected_image_hint("", "").startswith("none: ")
