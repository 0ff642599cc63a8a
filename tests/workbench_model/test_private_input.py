"""The private input without its panel: hex text, the mode bytes are shown in, files."""
from __future__ import annotations

import pytest

from workbench.model import private_input
from workbench.model.private_input import (EDITABLE_BYTES, FILE, HEX, NOT_TEXT, TEXT,
                                           TOO_LARGE_FOR_HEX, display_mode, parse_hex,
                                           read_input_file, switch_mode)


def test_parse_hex_accepts_separators_and_prefixes():
    assert parse_hex("0x01, 0x02:03\n04") == b"\x01\x02\x03\x04"
    assert parse_hex("de ad 0XBE\tEF") == b"\xde\xad\xbe\xef"
    assert parse_hex("") == b"" and parse_hex(" \n ") == b""


@pytest.mark.parametrize("text, reason", [("zz", "'z' is not a hex digit"),
                                          ("12 3", "an odd number of hex digits"),
                                          ("0x1g", "'g' is not a hex digit"),
                                          ("12-34", "'-' is not a hex digit")])
def test_parse_hex_rejects_what_is_not_hex_with_the_reason(text, reason):
    with pytest.raises(ValueError) as refused:
        parse_hex(text)
    assert str(refused.value) == reason


def test_bytes_are_shown_as_text_when_they_read_as_text_else_as_hex_else_as_a_file():
    assert display_mode(b"abc") == TEXT and display_mode(b"") == TEXT
    assert display_mode("✓ ok\n".encode()) == TEXT
    assert display_mode(b"\x00\xff\x10") == HEX
    assert display_mode(b"a" * EDITABLE_BYTES) == TEXT
    assert display_mode(b"a" * (EDITABLE_BYTES + 1)) == FILE


def test_switching_mode_keeps_bytes_that_cannot_be_shown_that_way_and_says_why():
    assert switch_mode(b"abc", HEX) == (HEX, "")
    assert switch_mode(b"abc", FILE) == (FILE, "")
    assert switch_mode(b"", TEXT) == (TEXT, "")
    assert switch_mode(b"\x00\xff", TEXT) == (HEX, NOT_TEXT)
    big = b"\x00" * (EDITABLE_BYTES + 1)
    assert switch_mode(big, TEXT) == (FILE, NOT_TEXT)
    assert switch_mode(big, HEX) == (FILE, TOO_LARGE_FOR_HEX)
    assert switch_mode(big, FILE) == (FILE, "")


def test_an_input_file_is_read_within_the_guests_input_cap(tmp_path, monkeypatch):
    path = tmp_path / "input.bin"
    path.write_bytes(bytes(range(256)) * 8)
    assert read_input_file(str(path)) == (bytes(range(256)) * 8, "")
    monkeypatch.setattr(private_input, "MAX_INPUT_BYTES", 1 << 20)
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x00" * ((1 << 20) + 1))
    data, refused = read_input_file(str(big))
    assert data == b""
    assert refused.startswith("big.bin is 1.0 MiB") and refused.endswith("at most 1 MiB")


def test_an_unreadable_input_file_is_refused_with_the_reason(tmp_path):
    data, refused = read_input_file(str(tmp_path / "missing.bin"))
    assert data == b"" and refused == "Cannot read missing.bin: No such file or directory"
