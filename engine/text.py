"""Bytes shown to a person: as text when they read as text.

The command line and the workbench show a journal, and the workbench the private
input, as text when it is printable UTF-8 and as hex otherwise; this is the one test
of "reads as text".
"""
from __future__ import annotations

__all__ = ["printable_text"]


def printable_text(data: bytes) -> str | None:
    """``data`` decoded if it is printable UTF-8 (newlines, returns and tabs allowed),
    else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(ch.isprintable() or ch in "\n\r\t" for ch in text) else None
