"""Lookup tables: the byte table and the row-index range table.

**Byte table** (bus ``byte``, messages ``(tag, v, s)``), preprocessed, 512 rows:

* rows 0..255: ``(U8, v, 0)``: a lookup ``(U8, v, 0)`` proves ``0 <= v < 256``;
* rows 256..511: ``(MSB, v, v >> 7)``: a lookup ``(MSB, v, s)`` proves ``v`` is a byte
  and ``s`` its top bit. A lookup whose tag is ``U8`` for unsigned operations and
  ``MSB`` for signed ones (the tag is linear in the operation flags) yields the sign
  bit of a signed operand and 0 for an unsigned one.

**Range table** (bus ``range``, messages ``(v)``): the preprocessed row index
``table.idx = r``. Lookups made on real rows are received by rows ``0 .. R - 1``
(``R = H - zk_rows``), so a lookup proves ``0 <= v < R``: the timestamp differences
(``mem.*_q``) use it. The row index also gives each row its clock ``clk = r + 1``.

Why these and not a 2^16-entry byte-pair table: every table must fit in the real rows
of the one trace, so a 2^16 table would force ``H >= 2^17`` even for a 3 000-cycle
program. The operations that need bitwise work (logic, shifts, loads, stores,
comparisons) decompose their operands into the boolean columns ``alu.x``/``alu.y``
instead, and only MUL/DIV (and a few syscall values) use byte lookups; the 512-row
byte table keeps the minimum height at the framework's 2^10 (``docs/circuit.md``).
"""
from __future__ import annotations

import numpy as np

from engine.circuit.columns import Columns
from engine.stark.air import AirBuilder, ColumnGroup, TraceShape

BYTE_BUS = "byte"
RANGE_BUS = "range"
TAG_U8 = 1
TAG_MSB = 2
BYTE_TABLE_ROWS = 512


def byte_table_row(tag: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The byte-table row holding ``(tag, value, ·)`` (int64; witness side)."""
    return (np.asarray(tag, dtype=np.int64) - TAG_U8) * 256 + np.asarray(value, dtype=np.int64)


def declare(b: AirBuilder) -> ColumnGroup:
    """Preprocessed ``table.tag, table.val, table.msb`` (byte table) and ``table.idx``."""
    return b.preprocessed_group("table", ("tag", "val", "msb", "idx"), compute=_compute,
                                fixed=True)


def _compute(shape: TraceShape) -> np.ndarray:
    if shape.real_rows < BYTE_TABLE_ROWS:
        raise ValueError(f"the byte table needs {BYTE_TABLE_ROWS} real rows; a trace of "
                         f"{shape.height} rows has {shape.real_rows}")
    out = np.zeros((4, shape.height), dtype=np.uint32)
    r = np.arange(256, dtype=np.uint32)
    out[0, :256], out[1, :256] = TAG_U8, r
    out[0, 256:512], out[1, 256:512], out[2, 256:512] = TAG_MSB, r, r >> 7
    out[3] = np.arange(shape.height, dtype=np.uint32)
    return out


def constrain(b: AirBuilder, c: Columns) -> None:
    """The tables receive their entries with the multiplicity columns."""
    t = c.table
    with b.scope("tables"):
        b.receive(BYTE_BUS, [t.tag, t.val, t.msb], mult=c.mult.byte, name="byte_table")
        b.receive(RANGE_BUS, [t.idx], mult=c.mult.range, name="range_table")


def lookup_byte(b: AirBuilder, name: str, value, mult, *, tag=TAG_U8, sign=0) -> None:
    """Send ``(tag, value, sign)`` to the byte table with multiplicity ``mult``."""
    b.send(BYTE_BUS, [tag, value, sign], mult=mult, name=name)


def lookup_range(b: AirBuilder, name: str, value, mult) -> None:
    """Send ``(value)`` to the range table: proves ``0 <= value < H - zk_rows``."""
    b.send(RANGE_BUS, [value], mult=mult, name=name)
