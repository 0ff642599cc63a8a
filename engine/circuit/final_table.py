"""The final memory: every word the run touched or the image defines, once.

It is spread over the segments as contiguous address ranges (``ft``, stage 0, and
``fx``): segment 0 holds the 32 registers in rows 0..31 (``sel.is_reg``: address =
row, kind REG) and then RAM words; later segments continue the address order. A real
row (real rows come first) stands for one word and, on the global ``words`` bus,
receives ``(addr, kind, lo, hi, t)``, what the last segment touching it left (tag
``t``), and for a word the image does not define (``zinit``) sends the zero it starts
from, ``(addr, kind, 0, 0, 0)``. The verifier sends ``(addr, kind, value, 0)`` for
every word of the image (:func:`engine.circuit.image.image_messages`).

Every word once: each real row's address lies in ``[0, 0x0300_0000)`` (``a0..a2``
bytes looked up, ``aa``/``ab`` bits, not both set) and exceeds the previous one's by
``1 + gap`` with ``gap`` in ``[0, 2^26)`` (``g0..g2``, ``ga``/``gb``), so addresses
increase as integers, never wrapping modulo p; after register 31 the gap is
counted from ``0x400`` (byte address ``0x1000``, the start of guest memory).
``fx.prev`` is the previous row's address, carried down the padding rows; on a
segment's first row it is the ``link`` of the state it received (``-1`` for segment
0), and its last row hands the last address on as ``link``
(:mod:`engine.circuit.boundary`).

Why this is enough: each word's chain of values starts at one initial message (the
image's or this region's zero) and ends at this region's one receive; a second
initial message for a word (an image word also zero-initialized, a word under two
kinds) would need a second row for the same address, which the order forbids. A
register's accesses use kind REG and addresses 0..31, which only segment 0's first
rows have; RAM addresses are at least ``0x400``.
"""
from __future__ import annotations

from engine.circuit.capacity import N_REGISTERS
from engine.circuit.columns import Columns
from engine.circuit.memory import KIND_REG
from engine.circuit.tables import lookup_byte
from engine.stark.air import FIRST, LAST, TRANSITION, AirBuilder
from engine.circuit.boundary import WORDS_BUS

FIRST_RAM_WORD = 0x400          # byte address 0x1000
LAST_RAM_WORD = 0x02FF_FFFF     # byte address 0x0BFF_FFFC


def constrain(b: AirBuilder, c: Columns, publics: dict) -> None:
    ft, fx, sel = c.ft, c.fx, c.sel
    is_first, is_last = publics["is_first"], publics["is_last"]
    real = ft.real
    is_reg = sel.is_reg * is_first
    with b.scope("ft"):
        for name in ("real", "zinit", "ro"):
            b.constrain(f"{name}_boolean", ft[name] * (ft[name] - 1))
        for name in ("aa", "ab", "ga", "gb"):
            b.constrain(f"{name}_boolean", fx[name] * (fx[name] - 1))
        b.constrain("real_prefix", real.next * (1 - real), when=TRANSITION)
        b.constrain("registers_first", is_reg * (ft.addr - c.table.idx))
        b.constrain("registers_real", is_reg * (1 - real))
        b.constrain("registers_from_image", is_reg * ft.zinit)
        b.constrain("registers_not_code", is_reg * ft.ro)
        b.constrain("ram_after_registers", sel.is_row32 * is_first * (1 - real))
        b.constrain("zinit_real", ft.zinit * (1 - real))
        b.constrain("zinit_writable", ft.zinit * ft.ro)
        address = fx.a0 + fx.a1 * 256 + fx.a2 * 65536 + (fx.aa + fx.ab * 2) * (1 << 24)
        b.constrain("address_in_memory", real * (ft.addr - address))
        b.constrain("address_below_end", fx.aa * fx.ab)
        gap = fx.g0 + fx.g1 * 256 + fx.g2 * 65536 + (fx.ga + fx.gb * 2) * (1 << 24)
        skip = sel.is_row32 * is_first * (FIRST_RAM_WORD - N_REGISTERS)
        b.constrain("addresses_increase", real * (ft.addr - fx.prev - 1 - skip - gap))
        for k in range(3):
            lookup_byte(b, f"address_byte{k}", fx[f"a{k}"], real)
            lookup_byte(b, f"gap_byte{k}", fx[f"g{k}"], real)
        last_address = real * ft.addr + (1 - real) * fx.prev
        b.constrain("prev_first", fx.prev - (1 - is_first) * c.st.link + is_first, when=FIRST)
        b.constrain("prev_step", fx.prev.next - last_address, when=TRANSITION)
        b.constrain("link_out", (1 - is_last) * (c.st.link - last_address), when=LAST)
        kind = is_reg * KIND_REG + ft.ro
        b.receive(WORDS_BUS, [ft.addr, kind, ft.lo, ft.hi, ft.t], mult=real, name="final")
        b.send(WORDS_BUS, [ft.addr, kind, 0, 0, 0], mult=ft.zinit, name="zero_init")
