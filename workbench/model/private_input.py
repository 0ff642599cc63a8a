"""The private input as the user gives it: typed text, hex digits, or a file's bytes.

Qt-free: what hex text means (``parse_hex``), which way a set of bytes is shown
(``display_mode``: text when it reads as text, hex when small, else a file), which
switches of mode the bytes allow (``switch_mode``), and reading an input file within
the guest's input cap (``read_input_file``). ``workbench.views.input_panel`` shows it.
"""
from __future__ import annotations

import os

from engine.text import printable_text
from engine.vm.memory_map import MAX_INPUT_BYTES
from workbench.model.formatting import describe_size

TEXT, HEX, FILE = 0, 1, 2
# Above this the bytes are not put in an editor (it would crawl); they stay as a file.
EDITABLE_BYTES = 256 << 10

NOT_TEXT = "These bytes are not text; they stay as hex or a file."
TOO_LARGE_FOR_HEX = "The input is too large to edit as hex; it stays a file."


def parse_hex(text: str) -> bytes:
    """Bytes from hex digits; whitespace, ``0x`` prefixes, ``:`` and ``,`` are ignored.

    Raises ``ValueError`` with a short reason for anything else or an odd digit count.
    """
    cleaned = text.replace("0x", " ").replace("0X", " ")
    for separator in ":,\n\t\r":
        cleaned = cleaned.replace(separator, " ")
    digits = "".join(cleaned.split())
    bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise ValueError(f"{bad!r} is not a hex digit")
    if len(digits) % 2:
        raise ValueError("an odd number of hex digits")
    return bytes.fromhex(digits)


def display_mode(data: bytes) -> int:
    """``TEXT`` for printable UTF-8 that fits an editor, ``HEX`` for other bytes that
    do, ``FILE`` for more than ``EDITABLE_BYTES``."""
    if len(data) > EDITABLE_BYTES:
        return FILE
    return TEXT if printable_text(data) is not None else HEX


def switch_mode(data: bytes, mode: int) -> tuple[int, str]:
    """The mode ``data`` is shown in when the user picks ``mode``: ``(mode, "")``, or
    the mode it stays in and why (bytes that are not text, too many for the hex editor).
    """
    if mode == TEXT and data and display_mode(data) != TEXT:
        return display_mode(data), NOT_TEXT
    if mode == HEX and len(data) > EDITABLE_BYTES:
        return FILE, TOO_LARGE_FOR_HEX
    return mode, ""


def read_input_file(path: str) -> tuple[bytes, str]:
    """The bytes of ``path`` and "", or ``b""`` and why they cannot be the input (over
    the guest's ``MAX_INPUT_BYTES``, or unreadable)."""
    name = os.path.basename(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_INPUT_BYTES:
            return b"", (f"{name} is {describe_size(size)}; the private input may be at most "
                         f"{MAX_INPUT_BYTES >> 20} MiB")
        with open(path, "rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        return b"", f"Cannot read {name}: {e.strerror or e}"
    return data, ""
