"""Witness of the ALU region for instruction rows: ``X``, ``Y``, carries, helpers, bytes.

Each operation family is computed over all its rows at once with NumPy int64
arithmetic on 32-bit values; the results (``mem.c_*``) are recomputed here because
the executor does not record a value written to x0. Layout and meaning of the
columns: :mod:`engine.circuit.alu`, :mod:`engine.circuit.muldiv`.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.alu import DIVS, LOADS, LOGIC, MULS, SHIFTS, SIGNED_CMP, STORES, SUBLIKE
from engine.circuit.columns import HELPERS
from engine.field.babybear import P, bb_batch_inv

MASK32 = 0xFFFFFFFF


def helper(kind: str, name: str) -> str:
    return f"alu.h{HELPERS[kind][name]}"


def field_inverse(values: np.ndarray) -> np.ndarray:
    """Inverses mod p of int64 values, 0 for 0 (Montgomery's batch inversion)."""
    values = np.mod(values, P)
    out = np.zeros_like(values)
    nonzero = values != 0
    out[nonzero] = bb_batch_inv(values[nonzero].astype(np.uint32))
    return out


def set_bits(rows, prefix: str, mask: np.ndarray, values: np.ndarray) -> None:
    """Write the 32 bits of ``values`` into ``alu.{prefix}0..31`` on the masked rows."""
    rows.set_bits(f"alu.{prefix}0", mask, values)


def set_bytes(rows, first: int, mask: np.ndarray, values: np.ndarray, count: int) -> None:
    for k in range(count):
        rows.set(f"alu.u{first + k}", mask, (values >> (8 * k)) & 0xFF)


def set_result(rows, mask: np.ndarray, values: np.ndarray) -> None:
    """rd's value on the masked rows; where rd is written it must be the executor's."""
    full = np.zeros(rows.n, dtype=np.int64)
    full[mask] = values
    written = mask & (rows.get("cpu.wr") == 1)
    wrong = written & (rows.slot(3, "val") != full)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise ValueError(f"row {row}: the circuit's result differs from the executor's")
    rows.set("mem.c_lo", mask, values & 0xFFFF)
    rows.set("mem.c_hi", mask, values >> 16)


def fill(rows, first_cycle: int = 0) -> None:
    """The ALU region of every instruction row; ``first_cycle``: the run's rows before
    the segment (what the cycle counter reads on row 0)."""
    g = rows.get
    a = g("mem.a_lo") + (g("mem.a_hi") << 16)
    b = g("mem.b_lo") + (g("mem.b_hi") << 16)
    imm = g("cpu.imm_lo") + (g("cpu.imm_hi") << 16)
    operand = (b + imm) & MASK32        # rs2 or imm: one of them is 0 where it is used
    ram_old = np.where(rows.used(2), rows.slot(2, "prev"), 0)
    _adders(rows, a, b, imm)
    _comparisons(rows, a, operand)
    _logic_shifts(rows, a, operand)
    _loads_stores(rows, ram_old)
    jumps = rows.is_("const", "jalr")
    set_result(rows, jumps, (g("cpu.kv_lo") + (g("cpu.kv_hi") << 16))[jumps])
    counter = rows.is_("rdcycle")
    cycles = first_cycle + np.flatnonzero(counter)
    set_bits(rows, "x", counter, cycles)
    set_result(rows, counter, cycles)
    _multiply(rows, a, operand)
    _divide(rows, a, operand)


def _adders(rows, a, b, imm) -> None:
    """X = rs1 + rs2 + imm (add, loads, jalr), rs1 + imm (stores)."""
    for mask, second in ((rows.is_("add", *LOADS, "jalr"), b + imm), (rows.is_(*STORES), imm)):
        lo = (a & 0xFFFF) + (second & 0xFFFF)
        k0 = lo >> 16
        hi = (a >> 16) + (second >> 16) + k0
        x = ((lo & 0xFFFF) | ((hi & 0xFFFF) << 16))[mask]
        set_bits(rows, "x", mask, x)
        rows.set("alu.k0", mask, k0[mask])
        rows.set("alu.k1", mask, (hi >> 16)[mask])
    add = rows.is_("add")
    set_result(rows, add, _x_value(rows, add))


def _x_value(rows, mask):
    start = rows.index["alu.x0"]
    bits = rows.matrix[start:start + 32, :rows.n][:, mask].astype(np.int64)
    return (bits << np.arange(32)[:, None]).sum(axis=0)


def _comparisons(rows, a, operand) -> None:
    """X = rs1 - operand with borrows; signed forms put the high halves in Y."""
    mask = rows.is_(*SUBLIKE)
    lo = (a & 0xFFFF) - (operand & 0xFFFF)
    k0 = (lo < 0).astype(np.int64)
    hi = (a >> 16) - (operand >> 16) - k0
    k1 = (hi < 0).astype(np.int64)
    x = (lo & 0xFFFF) | ((hi & 0xFFFF) << 16)
    set_bits(rows, "x", mask, x[mask])
    rows.set("alu.k0", mask, k0[mask])
    rows.set("alu.k1", mask, k1[mask])
    signed = rows.is_(*SIGNED_CMP)
    set_bits(rows, "y", signed, ((a >> 16) | ((operand >> 16) << 16))[signed])
    sd = (a >> 31) ^ (operand >> 31)
    rows.set(helper("cmp", "sd"), signed, sd[signed])
    lt = k1 ^ sd
    zero_test = rows.is_("beq", "bne")
    eq = (x == 0).astype(np.int64)
    rows.set(helper("cmp", "eq"), zero_test, eq[zero_test])
    rows.set(helper("cmp", "inv"), zero_test, field_inverse((x & 0xFFFF) + (x >> 16))[zero_test])
    taken = np.zeros(rows.n, dtype=np.int64)
    for name, value in (("beq", eq), ("bne", 1 - eq), ("blt", lt), ("bge", 1 - lt),
                        ("bltu", k1), ("bgeu", 1 - k1)):
        sel = rows.is_(name)
        taken[sel] = value[sel]
    branch = rows.is_("beq", "bne", "blt", "bge", "bltu", "bgeu")
    rows.set(helper("cmp", "taken"), branch, taken[branch])
    set_result(rows, rows.is_("sub"), x[rows.is_("sub")])
    set_result(rows, rows.is_("slt"), lt[rows.is_("slt")])
    set_result(rows, rows.is_("sltu"), k1[rows.is_("sltu")])


def _logic_shifts(rows, a, operand) -> None:
    logic = rows.is_(*LOGIC)
    set_bits(rows, "x", logic, a[logic])
    set_bits(rows, "y", logic, operand[logic])
    for name, value in (("and", a & operand), ("or", a | operand), ("xor", a ^ operand)):
        set_result(rows, rows.is_(name), value[rows.is_(name)])
    shifts = rows.is_(*SHIFTS)
    amount = operand & 31
    rows.set("alu.u0", shifts, ((operand & 0xFFFF) >> 5)[shifts] & 0xFF)
    rows.set("alu.u1", shifts, ((operand & 0xFFFF) >> 13)[shifts])
    set_bits(rows, "x", shifts, a[shifts])
    set_bits(rows, "y", shifts, (np.int64(1) << amount)[shifts])
    signed_a = a - ((a >> 31) << 32)
    for name, value in (("sll", (a << amount) & MASK32), ("srl", a >> amount),
                        ("sra", (signed_a >> amount) & MASK32)):
        set_result(rows, rows.is_(name), value[rows.is_(name)])


def _loads_stores(rows, ram_old) -> None:
    access = rows.is_(*LOADS, *STORES)
    x = _x_value(rows, access)
    offset = x & 3
    for k in range(4):
        rows.set(helper("ls", f"e{k}"), access, (offset == k).astype(np.int64))
    set_bits(rows, "y", access, ram_old[access])
    old = ram_old
    shift = np.zeros(rows.n, dtype=np.int64)
    shift[access] = 8 * offset
    byte = (old >> shift) & 0xFF
    half = (old >> shift) & 0xFFFF
    values = {"lb": (byte - ((byte & 0x80) << 1)) & MASK32, "lbu": byte,
              "lh": (half - ((half & 0x8000) << 1)) & MASK32, "lhu": half, "lw": old}
    for name, value in values.items():
        set_result(rows, rows.is_(name), value[rows.is_(name)])
    sb = rows.is_("sb")
    b_lo = rows.get("mem.b_lo")
    rows.set("alu.u0", sb, (b_lo & 0xFF)[sb])
    rows.set("alu.u1", sb, (b_lo >> 8)[sb])


# --- M extension -------------------------------------------------------------------------

def limb_sums(x: np.ndarray, y: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """``T_m`` (``(4, k)`` int64) of ``engine.circuit.muldiv.limb_products`` for 32-bit
    values ``x``, ``y`` with sign-extension bits ``sx``, ``sy``."""
    xb = [(x >> i) & 1 for i in range(32)]
    yb = [(y >> i) & 1 for i in range(32)]
    pre = [np.zeros_like(x)]
    for i in range(32):
        pre.append(pre[-1] + (xb[i] << i))
    out = np.zeros((4, x.shape[0]), dtype=np.int64)
    for m in range(4):
        for j in range(32):
            lo, hi = min(max(16 * m - j, 0), 32), min(max(16 * m + 16 - j, 0), 32)
            if hi <= lo:
                continue
            win = pre[hi] - pre[lo]
            shift = j - 16 * m
            out[m] += yb[j] * (win << shift if shift >= 0 else win >> -shift)
    pop_x_lo, pop_x = sum(xb[:16]), sum(xb)
    pop_y_lo, pop_y = sum(yb[:16]), sum(yb)
    out[2] += sx * (pop_y_lo * 65536 - (y & 0xFFFF)) + sy * (pop_x_lo * 65536 - (x & 0xFFFF))
    out[3] += (sx * (pop_y * 65536 - pop_y_lo - (y >> 16))
               + sy * (pop_x * 65536 - pop_x_lo - (x >> 16)))
    return out


def _multiply(rows, a, operand) -> None:
    mask = rows.is_(*MULS)
    if not mask.any():
        return
    x, y = a[mask], operand[mask]
    sx = ((x >> 31) * rows.is_("mulh", "mulhsu")[mask]).astype(np.int64)
    sy = ((y >> 31) * rows.is_("mulh")[mask]).astype(np.int64)
    set_bits(rows, "x", mask, x)
    set_bits(rows, "y", mask, y)
    rows.set(helper("mul", "sx"), mask, sx)
    rows.set(helper("mul", "sy"), mask, sy)
    t = limb_sums(x, y, sx, sy)
    carry = np.zeros_like(x)
    limbs = []
    for m in range(4):
        acc = t[m] + carry
        limbs.append(acc & 0xFFFF)
        carry = acc >> 16
        rows.set(f"alu.u{8 + m}", mask, carry)
        rows.set(f"alu.u{2 * m}", mask, limbs[m] & 0xFF)
        rows.set(f"alu.u{2 * m + 1}", mask, limbs[m] >> 8)
    low = limbs[0] | (limbs[1] << 16)
    high = limbs[2] | (limbs[3] << 16)
    set_result(rows, mask, np.where(rows.is_("mul")[mask], low, high))


def _divide(rows, a, operand) -> None:
    mask = rows.is_(*DIVS)
    if not mask.any():
        return
    signed = rows.is_("div", "rem")[mask]
    ua, ub = a[mask], operand[mask]
    sa = np.where(signed, ua - ((ua >> 31) << 32), ua)
    sb = np.where(signed, ub - ((ub >> 31) << 32), ub)
    bz = ub == 0
    ovf = signed & (ua == 0x80000000) & (ub == MASK32)
    safe = np.where(bz | ovf, 1, sb)
    q = np.abs(sa) // np.abs(safe)
    q = np.where((sa < 0) != (safe < 0), -q, q)
    r = sa - q * safe
    q = np.where(bz, MASK32, np.where(ovf, 0x80000000, q & MASK32))
    r = np.where(bz, ua, np.where(ovf, 0, r & MASK32))
    na = (ua >> 31) * signed
    nr = (r >> 31) * signed
    sx = (q >> 31) * signed * (1 - ovf)
    sy = (ub >> 31) * signed
    set_bits(rows, "x", mask, q)
    set_bits(rows, "y", mask, ub)
    rows.set(helper("div", "sx"), mask, sx)
    rows.set(helper("div", "sy"), mask, sy)
    rows.set(helper("div", "ovf"), mask, ovf.astype(np.int64))
    rows.set("alu.bz", mask, bz.astype(np.int64))
    rows.set("alu.na", mask, na)
    rows.set("alu.nr", mask, nr)
    set_bytes(rows, 0, mask, r, 4)
    rows.set("alu.u4", mask, (ua >> 16) & 0xFF)
    rows.set("alu.u5", mask, ua >> 24)
    t = limb_sums(q, ub, sx, sy)
    z = [r & 0xFFFF, r >> 16, nr * 0xFFFF, nr * 0xFFFF]
    w = [ua & 0xFFFF, ua >> 16, na * 0xFFFF, na * 0xFFFF]
    carry = np.zeros_like(ua)
    for m in range(4):
        total = t[m] + z[m] + carry - w[m]
        if (total & 0xFFFF).any():
            raise ValueError("division witness: the 64-bit identity does not hold")
        carry = total >> 16
        rows.set(f"alu.u{8 + m}", mask, carry)
    # |r| < |b|: B' + R' + (nb - nr) = 2^32 + S.
    nb = sy
    b_adj = np.where(nb == 1, ~ub & MASK32, ub)
    r_adj = np.where(nr == 1, r, ~r & MASK32)
    low = (b_adj & 0xFFFF) + (r_adj & 0xFFFF) + nb - nr
    kappa = low >> 16
    s_lo = low & 0xFFFF
    s_hi = (b_adj >> 16) + (r_adj >> 16) + kappa - 65536
    s_lo, s_hi, kappa = (np.where(bz, 0, v) for v in (s_lo, s_hi, kappa))
    if ((s_hi < 0) | (s_hi > 0xFFFF)).any():
        raise ValueError("division witness: the remainder is not smaller than the divisor")
    rows.set("alu.tri0", mask, kappa + 1)
    rows.set("alu.u6", mask, s_lo & 0xFF)
    rows.set("alu.u7", mask, s_lo >> 8)
    rows.set("alu.u12", mask, s_hi & 0xFF)
    rows.set("alu.u13", mask, s_hi >> 8)
    set_result(rows, mask, np.where(rows.is_("div", "divu")[mask], q, r))
