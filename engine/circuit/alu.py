"""The shared "aux" region and the RV32I operations that use it.

``alu.x0..x31`` and ``alu.y0..y31`` are boolean on every row: two 32-bit values
``X``, ``Y`` whose meaning depends on the operation (below). A value held in bits is
range-checked for free, and its bytes, halves, sign and single bits are linear in
the columns, so most operations need no lookup at all. ``k0``/``k1`` are boolean
carries of 16-bit-half arithmetic: every 32-bit sum is computed half by half, because
a 32-bit value does not fit in the field and a wrap modulo p would go unnoticed.

    operation            X                       Y
    add, addi            rs1 + rs2/imm           -
    loads, jalr          rs1 + imm (address)     loaded word (loads)
    stores               rs1 + imm (address)     old word
    sub, slt*, branches  rs1 - rs2/imm           signed: (rs1_hi, rs2_hi) bits
    and, or, xor         rs1                     rs2/imm
    shifts               rs1                     one-hot of the shift amount
    mul*                 rs1                     rs2        (engine.circuit.muldiv)
    div*, rem*           quotient                rs2        (engine.circuit.muldiv)
    rdcycle              the row's cycle count   -          (engine.circuit.cpu)

Results: add/sub write ``X``; slt writes the borrow corrected by the signs
(``ult ⊕ sa ⊕ sb``); logic ops combine ``x_i·y_i``; shifts are bilinear forms in the
bits (``c = sum_j y_j · (X << j)`` and the like), built from prefix sums of ``X``;
loads select a byte or half of ``Y`` with the one-hot offset ``e0..e3`` (from
``x0, x1``) and sign-extend it with its top bit; stores merge the data into ``Y``.
"""
from __future__ import annotations

from engine.circuit.columns import Columns, bits_value
from engine.circuit.tables import TAG_MSB, TAG_U8, lookup_byte
from engine.field.babybear import P
from engine.stark.air import AirBuilder
from engine.stark.symbolic import Expr

LOADS = ("lb", "lh", "lw", "lbu", "lhu")
STORES = ("sb", "sh", "sw")
SHIFTS = ("sll", "srl", "sra")
LOGIC = ("xor", "or", "and")
SUBLIKE = ("sub", "slt", "sltu", "beq", "bne", "blt", "bge", "bltu", "bgeu")
SIGNED_CMP = ("slt", "blt", "bge")
MULS = ("mul", "mulh", "mulhsu", "mulhu")
DIVS = ("div", "divu", "rem", "remu")
INV2 = pow(2, P - 2, P)

# Who range-checks each byte column u0..u13 (the lookups are shared: one per column).
# read's arguments row: u0..u3 the input left, u4 = 4·u3, u5..u8 n - left.
BYTE_USERS = {
    0: MULS + DIVS + SHIFTS + ("sb", "args_r"), 1: MULS + DIVS + SHIFTS + ("sb", "args_r"),
    **{j: MULS + DIVS + ("args_r",) for j in range(2, 9)},
    **{j: MULS + DIVS for j in range(9, 12)},
    12: DIVS, 13: DIVS,
}
# Byte columns whose lookup yields a sign bit for signed division (r3 -> nr, a3 -> na).
SIGN_BYTES = {3: "nr", 5: "na"}


def pow2(k: int) -> int:
    """``2^k`` in the field, for negative ``k`` too."""
    return pow(2, k, P) if k >= 0 else pow(INV2, -k, P)


def halves(bits: list[Expr]) -> tuple[Expr, Expr]:
    return bits_value(bits, 0, 16), bits_value(bits, 16, 16)


def byte_of(bits: list[Expr], k: int) -> Expr:
    return bits_value(bits, 8 * k, 8)


def prefix_sums(bits: list[Expr]) -> list[Expr]:
    """``P[j] = sum_{i < j} 2^i · bits[i]`` for ``j = 0..32`` (shared subexpressions)."""
    out: list = [0]
    for i, bit in enumerate(bits):
        out.append(bit * (1 << i) + out[-1])
    return out


def window(prefix: list, lo: int, hi: int):
    """``sum_{lo <= i < hi} 2^i · bits[i]``, indices clamped to ``[0, 32]``."""
    lo, hi = min(max(lo, 0), 32), min(max(hi, 0), 32)
    return prefix[hi] - prefix[lo] if hi > lo else 0


def constrain(b: AirBuilder, c: Columns) -> None:
    alu = c.alu
    x, y = c.x, c.y
    with b.scope("alu"):
        for i in range(32):
            b.constrain(f"x{i}_boolean", x[i] * (x[i] - 1))
            b.constrain(f"y{i}_boolean", y[i] * (y[i] - 1))
        for k in ("k0", "k1", "bz"):
            b.constrain(f"{k}_boolean", alu[k] * (alu[k] - 1))
        for k in ("tri0", "tri1"):
            b.constrain(f"{k}_in_0_1_2", alu[k] * (alu[k] - 1) * (alu[k] - 2))
        _comparisons(b, c)
        _shift_amount(b, c)
        _loads_stores(b, c)
        b.constrain("jalr_target_small", c.op["jalr"] * (x[28] + x[29] + x[30] + x[31]))
        _byte_lookups(b, c)


def _comparisons(b: AirBuilder, c: Columns) -> None:
    x, y = c.x, c.y
    x_lo, x_hi = halves(x)
    eq, inv, sd, taken = (c.hv("cmp", n) for n in ("eq", "inv", "sd", "taken"))
    k1 = c.alu.k1
    zero_test = c.flags("beq", "bne")
    b.constrain("eq_if_zero", zero_test * eq * (x_lo + x_hi))
    b.constrain("eq_unless_nonzero", zero_test * (1 - eq - inv * (x_lo + x_hi)))
    b.constrain("sign_xor", c.flags(*SIGNED_CMP) * (sd - y[15] - y[31] + y[15] * y[31] * 2))
    lt = less_than_signed(c)
    op = c.op
    b.constrain("taken", op["beq"] * (taken - eq) + op["bne"] * (taken - 1 + eq)
                + op["blt"] * (taken - lt) + op["bge"] * (taken - 1 + lt)
                + op["bltu"] * (taken - k1) + op["bgeu"] * (taken - 1 + k1))


def less_than_signed(c: Columns) -> Expr:
    """``ult ⊕ (sa ⊕ sb)``: the unsigned borrow corrected by the operands' signs."""
    k1, sd = c.alu.k1, c.hv("cmp", "sd")
    return k1 + sd - k1 * sd * 2


def _shift_amount(b: AirBuilder, c: Columns) -> None:
    """``Y`` is one-hot at ``s = (rs2 + imm) mod 32``: ``rs2 + imm = s + 32·t`` with
    ``t = u0 + 256·u1`` (bytes), ``s = sum_j j·y_j``."""
    y, u = c.y, c.u
    shifts = c.flags(*SHIFTS)
    amount = sum((y[j] * j for j in range(1, 32)), 0)
    b.constrain("shift_one_hot", shifts * (sum(y, 0) - 1))
    b.constrain("shift_amount", shifts * (c.mem.b_lo + c.cpu.imm_lo - amount
                                          - (u[0] + u[1] * 256) * 32))


def _loads_stores(b: AirBuilder, c: Columns) -> None:
    x, m = c.x, c.mem
    e = [c.hv("ls", f"e{k}") for k in range(4)]
    access = c.flags(*LOADS, *STORES)
    one_hot = [(1 - x[0]) * (1 - x[1]), x[0] * (1 - x[1]), (1 - x[0]) * x[1], x[0] * x[1]]
    for k in range(4):
        b.constrain(f"offset_one_hot{k}", access * (e[k] - one_hot[k]))
    b.constrain("word_address", access * (m.w - bits_value(x, 2, 30)))
    b.constrain("word_aligned", c.flags("lw", "sw") * (1 - e[0]))
    b.constrain("half_aligned", c.flags("lh", "lhu", "sh") * x[0])
    b.constrain("sb_data_byte", c.op["sb"] * (m.b_lo - c.u[0] - c.u[1] * 256))


def _byte_lookups(b: AirBuilder, c: Columns) -> None:
    signed_div = c.flags("div", "rem")
    for j, users in BYTE_USERS.items():
        mult = c.flags(*users)
        if j in SIGN_BYTES:
            lookup_byte(b, f"u{j}_range", c.u[j], mult,
                        tag=TAG_U8 + signed_div * (TAG_MSB - TAG_U8),
                        sign=c.alu[SIGN_BYTES[j]])
        else:
            lookup_byte(b, f"u{j}_range", c.u[j], mult)


# --- the values each operation defines --------------------------------------------------
# Each list holds (flag, lo, hi): on rows of that flag, the target's halves equal
# (lo, hi). machine.py turns each list into one constraint sum_f flag·(target - value).

def x_definitions(c: Columns) -> list[tuple]:
    m, cpu, alu = c.mem, c.cpu, c.alu
    k0, k1 = alu.k0, alu.k1
    return [
        (c.flags("add", *LOADS, "jalr"),
         m.a_lo + m.b_lo + cpu.imm_lo - k0 * 65536, m.a_hi + m.b_hi + cpu.imm_hi + k0 - k1 * 65536),
        (c.flags(*STORES), m.a_lo + cpu.imm_lo - k0 * 65536, m.a_hi + cpu.imm_hi + k0 - k1 * 65536),
        (c.flags(*SUBLIKE),
         m.a_lo - m.b_lo - cpu.imm_lo + k0 * 65536, m.a_hi - m.b_hi - cpu.imm_hi - k0 + k1 * 65536),
        (c.flags(*LOGIC, *SHIFTS, *MULS), m.a_lo, m.a_hi),
    ]


def y_definitions(c: Columns) -> list[tuple]:
    m, cpu = c.mem, c.cpu
    return [
        (c.flags(*LOGIC, *MULS, *DIVS), m.b_lo + cpu.imm_lo, m.b_hi + cpu.imm_hi),
        (c.flags(*SIGNED_CMP), m.a_hi, m.b_hi + cpu.imm_hi),
    ]


def results(c: Columns) -> list[tuple]:
    """What rd gets, by operation (muldiv and syscalls add theirs)."""
    x, y = c.x, c.y
    x_lo, x_hi = halves(x)
    y_lo, y_hi = halves(y)
    cpu, alu, op = c.cpu, c.alu, c.op
    and_lo = sum((x[i] * y[i] * (1 << i) for i in range(16)), 0)
    and_hi = sum((x[16 + i] * y[16 + i] * (1 << i) for i in range(16)), 0)
    e = [c.hv("ls", f"e{k}") for k in range(4)]
    sel_byte = sum((e[k] * byte_of(y, k) for k in range(4)), 0)
    byte_sign = sum((e[k] * y[8 * k + 7] for k in range(4)), 0)
    sel_half = e[0] * y_lo + e[2] * y_hi
    half_sign = e[0] * y[15] + e[2] * y[31]
    sll, srl, sra = shift_results(c)
    return [
        (c.flags("add", "sub"), x_lo, x_hi),
        (op["slt"], less_than_signed(c), 0),
        (op["sltu"], alu.k1, 0),
        (op["and"], and_lo, and_hi),
        (op["or"], x_lo + y_lo - and_lo, x_hi + y_hi - and_hi),
        (op["xor"], x_lo + y_lo - and_lo * 2, x_hi + y_hi - and_hi * 2),
        (op["sll"], *sll), (op["srl"], *srl), (op["sra"], *sra),
        (op["lb"], sel_byte + byte_sign * 0xFF00, byte_sign * 0xFFFF),
        (op["lbu"], sel_byte, 0),
        (op["lh"], sel_half, half_sign * 0xFFFF),
        (op["lhu"], sel_half, 0),
        (op["lw"], y_lo, y_hi),
        (c.flags("const", "jalr"), cpu.kv_lo, cpu.kv_hi),
        (op["rdcycle"], x_lo, x_hi),
    ]


def shift_results(c: Columns):
    """``(lo, hi)`` of ``X << s``, ``X >> s`` and the arithmetic ``X >> s``, with ``Y``
    one-hot at ``s``: sums over ``j`` of ``y_j`` times a window of ``X``."""
    x, y = c.x, c.y
    pre = prefix_sums(x)
    sll_lo = sum((y[j] * pow2(j) * window(pre, 0, 16 - j) for j in range(16)), 0)
    sll_hi = sum((y[j] * pow2(j - 16) * window(pre, 16 - j, 32 - j) for j in range(32)), 0)
    srl_lo = sum((y[j] * pow2(-j) * window(pre, j, j + 16) for j in range(32)), 0)
    srl_hi = sum((y[j] * pow2(-j - 16) * window(pre, j + 16, 32) for j in range(16)), 0)
    fill = [(1 << 32) - (1 << (32 - j)) if j else 0 for j in range(32)]
    fill_lo = sum((y[j] * (fill[j] & 0xFFFF) for j in range(1, 32)), 0)
    fill_hi = sum((y[j] * (fill[j] >> 16) for j in range(1, 32)), 0)
    sign = x[31]
    return ((sll_lo, sll_hi), (srl_lo, srl_hi),
            (srl_lo + sign * fill_lo, srl_hi + sign * fill_hi))


def ram_values(c: Columns) -> list[tuple]:
    """The value the RAM slot leaves in memory, by operation."""
    y, m, u = c.y, c.mem, c.u
    y_lo, y_hi = halves(y)
    e = [c.hv("ls", f"e{k}") for k in range(4)]
    d = u[0]
    return [
        (c.flags(*LOADS), y_lo, y_hi),
        (c.op["sw"], m.b_lo, m.b_hi),
        (c.op["sh"], y_lo + e[0] * (m.b_lo - y_lo), y_hi + e[2] * (m.b_lo - y_hi)),
        (c.op["sb"], y_lo + e[0] * (d - byte_of(y, 0)) + e[1] * (d - byte_of(y, 1)) * 256,
         y_hi + e[2] * (d - byte_of(y, 2)) + e[3] * (d - byte_of(y, 3)) * 256),
    ]
