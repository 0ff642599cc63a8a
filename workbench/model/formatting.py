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


def group_hex(hex_text: str, group: int = 8) -> str:
    """``"d5ec3727 9647edd6 …"``: a long hex digest in groups of ``group`` digits, so a
    label can wrap it between groups instead of growing as wide as all 64 digits."""
    return " ".join(hex_text[i:i + group] for i in range(0, len(hex_text), group))


def ordinal(n: int) -> str:
    """``"1st"``, ``"2nd"``, ``"3rd"``, ``"4th"``, ``"11th"``, ``"22nd"``..."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def describe_share(part: int, total: int) -> str:
    """``"42.0%"``; ``"<0.1%"`` for a part that is not zero but rounds to 0.0%."""
    if total <= 0 or part <= 0:
        return "0%" if part <= 0 else "–"
    share = part / total
    if share < 0.0005:
        return "<0.1%"
    return f"{share:.1%}"
