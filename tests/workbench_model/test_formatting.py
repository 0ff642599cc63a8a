"""How the workbench shows bytes: journals as text when they read as text, else hex."""
from __future__ import annotations

from workbench.model.formatting import describe_journal


def test_journal_of_printable_utf8_is_shown_as_text():
    assert describe_journal("42\n✓\tok\r\n".encode()) == "42\n✓\tok\r\n"
    assert describe_journal(b"") == ""


def test_journal_that_is_not_printable_utf8_is_shown_as_hex():
    assert describe_journal(b"\xff\xfe") == "ff fe"
    assert describe_journal(b"a\x00b") == "61 00 62"
