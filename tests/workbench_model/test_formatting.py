"""How the workbench shows bytes: journals as text when they read as text, else hex."""
from __future__ import annotations

from workbench.model.formatting import describe_journal


def test_journal_of_printable_utf8_is_shown_as_text():
    assert describe_journal("42\n✓\tok\r\n".encode()) == "42\n✓\tok\r\n"
    assert describe_journal(b"") == ""


def test_journal_that_is_not_printable_utf8_is_shown_as_hex():
    assert describe_journal(b"\xff\xfe") == "ff fe"
    assert describe_journal(b"a\x00b") == "61 00 62"


def test_ordinals_and_shares_read_as_a_person_writes_them():
    from workbench.model.formatting import describe_share, group_hex, ordinal
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
        "101st", "112th"]
    assert describe_share(1, 1_000_000) == "<0.1%"
    assert describe_share(0, 10) == "0%"
    assert describe_share(1, 4) == "25.0%"
    assert group_hex("ab" * 8, 4) == "abab abab abab abab"
