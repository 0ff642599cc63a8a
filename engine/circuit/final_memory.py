"""The final memory: every word the run touched or the image defined, once.

Rows ``0 .. n - 1`` (``fm.real``) hold distinct words with strictly increasing
addresses: rows 0..31 are the registers (``fmsel.is_reg``: ``addr = row``, kind REG),
then RAM words (kind RAM or CODE by ``fm.ro``). Each real row receives the word's last
message ``(addr, ts, lo, hi, kind)`` from the memory bus; a row with ``zinit`` also
sends ``(addr, 0, 0, 0, RAM)``: the zero initial value of a word the image does not
define (code words are always in the image).

Address checks: ``next.addr - addr - 1`` (``next.addr - 0x400`` after the last
register) and, after the last real row, ``0x02FF_FFFF - addr`` decompose as
``g0 + 2^8 g1 + 2^16 g2 + 2^24 (ga + 2 gb)`` (three bytes looked up, two bits): so
addresses strictly increase, RAM words lie in ``[0x400, 0x0300_0000)`` (byte
addresses ``[0x1000, 0x0C00_0000)``, guest memory), and no word has two rows.

Why this is enough: each word's chain of accesses starts at one initial message (the
image's, or this region's zero) and ends at this region's one receive. A second
initial message for a word (an image word also zero-initialized, a zero word read
under two different kinds) would need a second row for the same address, which the
strict order forbids; an access to a word outside guest memory would need a row
outside the checked range.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.columns import Columns
from engine.circuit.capacity import N_REGISTERS
from engine.circuit.memory import KIND_RAM, KIND_REG, MEMORY_BUS
from engine.circuit.tables import lookup_byte
from engine.stark.air import FIRST, LAST, TRANSITION, AirBuilder, ColumnGroup, TraceShape

FIRST_RAM_WORD = 0x400          # byte address 0x1000
LAST_RAM_WORD = 0x02FF_FFFF     # byte address 0x0BFF_FFFC


def declare(b: AirBuilder) -> ColumnGroup:
    """Preprocessed row selectors ``fmsel.is_reg`` (rows 0..31), ``fmsel.is_row31``."""
    return b.preprocessed_group("fmsel", ("is_reg", "is_row31"), compute=_compute)


def _compute(shape: TraceShape, public_data=None) -> np.ndarray:
    out = np.zeros((2, shape.height), dtype=np.uint32)
    out[0, :N_REGISTERS] = 1
    out[1, N_REGISTERS - 1] = 1
    return out


def constrain(b: AirBuilder, c: Columns) -> None:
    fm, sel = c.fm, c.fmsel
    real = fm.real
    with b.scope("fm"):
        for name in ("real", "zinit", "ro", "ga", "gb"):
            b.constrain(f"{name}_boolean", fm[name] * (fm[name] - 1))
        b.constrain("first_real", real - 1, when=FIRST)
        b.constrain("last_padding", real, when=LAST)
        b.constrain("real_prefix", real.next * (1 - real), when=TRANSITION)
        b.constrain("registers_first", sel.is_reg * (fm.addr - c.table.idx))
        b.constrain("registers_real", sel.is_reg * (1 - real))
        b.constrain("registers_from_image", sel.is_reg * fm.zinit)
        b.constrain("registers_not_code", sel.is_reg * fm.ro)
        b.constrain("zinit_real", fm.zinit * (1 - real))
        b.constrain("zinit_writable", fm.zinit * fm.ro)
        gap = fm.g0 + fm.g1 * 256 + fm.g2 * 65536 + (fm.ga + fm.gb * 2) * (1 << 24)
        step = fm.addr.next - fm.addr - 1 - sel.is_row31 * (FIRST_RAM_WORD - N_REGISTERS)
        b.constrain("addresses_increase", real * (real.next * step
                                                  + (1 - real.next) * (LAST_RAM_WORD - fm.addr)
                                                  - gap), when=TRANSITION)
        for k in range(3):
            lookup_byte(b, f"gap_byte{k}", fm[f"g{k}"], real)
        kind = sel.is_reg * KIND_REG + fm.ro
        b.receive(MEMORY_BUS, [fm.addr, fm.ts, fm.lo, fm.hi, kind], mult=real, name="final")
        b.send(MEMORY_BUS, [fm.addr, 0, 0, 0, KIND_RAM], mult=fm.zinit, name="zero_init")
