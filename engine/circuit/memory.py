"""Memory accesses: offline memory checking over the ``memory`` bus.

A memory word is identified by ``(addr, kind)``: registers are ``(0..31, REG)``, RAM
words ``(byte_address >> 2, RAM or CODE)``; CODE words (every word holding a byte of
an executable range) are read-only. Messages are ``(addr, ts, lo, hi, kind)`` with the
value as two 16-bit halves (a 32-bit word does not fit in the field).

Every row has four access slots, in time order, with timestamp ``ts = 4·clk + slot``
and ``clk = row + 1`` (timestamp 0 is the initial image):

    slot 0  rs1 read   addr cpu.rs1   value (a_lo, a_hi)             kind REG
    slot 1  rs2 read   addr cpu.rs2   value (b_lo, b_hi)             kind REG
    slot 2  RAM word   addr mem.w     (y_lo, y_hi) -> (n_lo, n_hi)   kind mem.ro
    slot 3  rd write   addr cpu.rd    (p_lo, p_hi) -> (c_lo, c_hi)   kind REG

A used slot receives ``(addr, prev_ts, prev)`` and sends ``(addr, ts, new)``, with
``ts - prev_ts - 1 = 4·q + e`` (``q`` in the range table, ``e`` two bits), so
``prev_ts < ts``. The segment's boundary table (:mod:`engine.circuit.boundary`) sends
``(addr, 3, value, kind)``, each word's value when the segment starts, at timestamp
``SEGMENT_START_TS = 3`` (before row 0's first slot, 4, and close enough that a first
access on the last real row still has ``q`` in the range table), and receives each
word's last message once. With all timestamps distinct and every receive strictly
older than its send, a balanced bus means each access saw the value of the access
before it: memory is consistent within the segment, and the global words bus
carries it across segments.

Why the kinds: a RAM access can never reach a register (the final memory holds RAM
words only at addresses >= 0x400, registers at 0..31 with kind REG), and a store can
never change code (stores send and receive kind RAM, and a CODE word's chain starts
at the image with kind CODE, so a store to it finds nothing to receive).
"""
from __future__ import annotations

from engine.circuit.columns import Columns, bits_value
from engine.circuit.tables import lookup_range
from engine.stark.air import AirBuilder

MEMORY_BUS = "memory"
KIND_RAM = 0
KIND_CODE = 1
KIND_REG = 2
#: The timestamp of a word's value at the start of a segment (the boundary table's send).
SEGMENT_START_TS = 3


def slot_multiplicities(c: Columns) -> dict[str, object]:
    """Which rows use each slot (0/1 expressions)."""
    return {
        "rs1": c.is_real - c.flags("const", "io_r", "io_w"),
        "rs2": c.cpu.use_rs2,
        "ram": c.flags("lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw", "io_r", "io_w"),
        "rd": c.cpu.wr,
    }


def constrain(b: AirBuilder, c: Columns) -> None:
    cpu, m = c.cpu, c.mem
    y = c.y
    clk = c.table.idx + 1
    use = slot_multiplicities(c)
    slots = {
        "rs1": (cpu.rs1, (m.a_lo, m.a_hi), (m.a_lo, m.a_hi), KIND_REG),
        "rs2": (cpu.rs2, (m.b_lo, m.b_hi), (m.b_lo, m.b_hi), KIND_REG),
        "ram": (m.w, (bits_value(y, 0, 16), bits_value(y, 16, 16)), (m.n_lo, m.n_hi), m.ro),
        "rd": (cpu.rd, (m.p_lo, m.p_hi), (m.c_lo, m.c_hi), KIND_REG),
    }
    with b.scope("mem"):
        for s, (name, (addr, prev, new, kind)) in enumerate(slots.items()):
            prev_ts, q = m[f"{name}_prev_ts"], m[f"{name}_q"]
            e0, e1 = m[f"{name}_e0"], m[f"{name}_e1"]
            ts = clk * 4 + s
            b.constrain(f"{name}_e0_boolean", e0 * (e0 - 1))
            b.constrain(f"{name}_e1_boolean", e1 * (e1 - 1))
            b.constrain(f"{name}_older", use[name] * (ts - prev_ts - 1 - q * 4 - e0 - e1 * 2))
            lookup_range(b, f"{name}_ts_range", q, use[name])
            b.receive(MEMORY_BUS, [addr, prev_ts, prev[0], prev[1], kind], mult=use[name],
                      name=f"{name}_read")
            b.send(MEMORY_BUS, [addr, ts, new[0], new[1], kind], mult=use[name],
                   name=f"{name}_write")
        # An unused rs2 slot holds 0, so rs2 + imm is the second operand in every form.
        b.constrain("rs2_unused_lo", (1 - cpu.use_rs2) * m.b_lo)
        b.constrain("rs2_unused_hi", (1 - cpu.use_rs2) * m.b_hi)
        b.constrain("ro_boolean", m.ro * (m.ro - 1))
        b.constrain("writes_not_code", c.flags("sb", "sh", "sw", "io_r") * m.ro)
