"""How bytes, sizes and durations are shown to a person."""
from __future__ import annotations

from engine.text import printable_text


def describe_journal(journal: bytes) -> str:
    """The journal as text when it is printable UTF-8, else as spaced hex bytes."""
    text = printable_text(journal)
    return journal.hex(" ") if text is None else text


def hex_dump(data: bytes, width: int = 16, limit: int = 1 << 16) -> str:
    """Offset, hex bytes and printable ASCII, ``width`` bytes a line (first ``limit`` bytes)."""
    lines = []
    for offset in range(0, min(len(data), limit), width):
        chunk = data[offset:offset + width]
        printable = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {chunk.hex(' '):<{3 * width - 1}}  {printable}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit:,} more bytes")
    return "\n".join(lines)


def describe_size(n: int) -> str:
    """``"20 bytes"``, ``"1.5 KiB (1,536 bytes)"``..."""
    if n < 1024:
        return f"{n:,} byte" + ("" if n == 1 else "s")
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


def describe_seconds(seconds: float) -> str:
    """``"0.8 ms"``, ``"340 ms"``, ``"12.3 s"``, ``"2:05"`` (minutes:seconds past a minute)."""
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
