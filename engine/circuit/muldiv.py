"""The M extension: one identity ``X·Y + Z = W (mod 2^64)`` for all eight operations.

    mul, mulh, mulhsu, mulhu   X = rs1, Y = rs2, Z = 0, W = the 64-bit product
    div, divu, rem, remu       X = quotient, Y = rs2, Z = remainder, W = rs1

``X`` and ``Y`` are the boolean columns ``alu.x``/``alu.y``, sign-extended to 64 bits
by ``sx``/``sy`` (their top bit for a signed operand, else 0). The identity is
checked in four 16-bit limbs with carries ``C_m`` (byte columns, range-checked):

    T_m + Z_m + C_{m-1} = W_m + 2^16·C_m,    m = 0..3

where ``T_m`` is the part of ``X_ext·Y_ext mod 2^64`` in limb ``m``: a sum of
``x_i·y_j·2^(i+j-16m)`` over the pairs that land in it, plus the sign-extension
terms (``sx·(2^64 - 2^32)·Y`` contributes ``sx·(2^16·popcount_lo(Y) - Y_lo)`` to limb
2, and so on). With bits, ``T_m < 2^23``, so every carry is below 2^8: one byte
lookup each, and no equation can wrap modulo p.

* Products: ``W`` is 8 range-checked bytes ``u0..u7``; rd is limbs 0-1 (``mul``) or
  2-3 (``mulh*``).
* Division: ``W`` is rs1 sign-extended with ``na`` (its top bit, from the byte lookup
  of ``a3 = u5`` tagged MSB for signed division), ``Z`` is the remainder ``r``
  (bytes ``u0..u3``, ``nr`` its sign from ``u3``). Then ``|r| < |b|``
  (``B' + R' + (nb - nr) = 2^32 + S`` with ``B' = b or ~b``, ``R' = ~r or r``,
  ``S = u6 + 2^8 u7 + 2^16 u12 + 2^24 u13`` bytes), ``r`` has the sign of ``a`` or
  is 0; ``bz`` (division by zero) forces ``b = 0`` and ``q = 0xFFFF_FFFF`` (so
  ``r = a``) and skips the bound; ``ovf`` (``INT_MIN / -1``) forces
  ``a = 0x8000_0000``, ``b = -1`` and reads ``q`` as unsigned, so that
  ``q = 0x8000_0000``, ``r = 0`` satisfy the 64-bit identity.
"""
from __future__ import annotations

from engine.circuit.alu import DIVS, MULS, halves, pow2, prefix_sums, window
from engine.circuit.columns import Columns
from engine.stark.air import AirBuilder
from engine.stark.symbolic import Expr


def limb_products(c: Columns, sx: Expr, sy: Expr) -> list[Expr]:
    """``T_m`` for ``m = 0..3``: the limbs of ``X_ext·Y_ext mod 2^64`` before carries."""
    x, y = c.x, c.y
    pre = prefix_sums(x)
    x_lo, x_hi = halves(x)
    y_lo, y_hi = halves(y)
    pop_x_lo, pop_x = sum(x[:16], 0), sum(x, 0)
    pop_y_lo, pop_y = sum(y[:16], 0), sum(y, 0)
    out = []
    for m in range(4):
        t = 0
        for j in range(32):
            part = window(pre, 16 * m - j, 16 * m + 16 - j)
            if not isinstance(part, int):
                t = y[j] * pow2(j - 16 * m) * part + t
        if m == 2:
            t = t + sx * (pop_y_lo * 65536 - y_lo) + sy * (pop_x_lo * 65536 - x_lo)
        if m == 3:
            t = t + sx * (pop_y * 65536 - pop_y_lo - y_hi) + sy * (pop_x * 65536 - pop_x_lo - x_hi)
        out.append(t)
    return out


def constrain(b: AirBuilder, c: Columns) -> None:
    alu, m, u = c.alu, c.mem, c.u
    x, y = c.x, c.y
    y_lo, y_hi = halves(y)
    muls, divs = c.flags(*MULS), c.flags(*DIVS)
    sx_m, sy_m = c.hv("mul", "sx"), c.hv("mul", "sy")
    ovf = c.hv("div", "ovf")
    bz, na, nr = alu.bz, alu.na, alu.nr
    signed_div = c.flags("div", "rem")
    with b.scope("muldiv"):
        # Sign extension bits (the mul and div helpers are the same columns).
        b.constrain("sx", c.flags("mulh", "mulhsu") * (sx_m - x[31]) + c.flags("mul", "mulhu") * sx_m
                    + signed_div * (sx_m - x[31] * (1 - ovf)) + c.flags("divu", "remu") * sx_m)
        b.constrain("sy", c.flags("mulh", "div", "rem") * (sy_m - y[31])
                    + c.flags("mul", "mulhsu", "mulhu", "divu", "remu") * sy_m)
        # Sign bits of a and r exist only in signed division.
        b.constrain("na_only_signed_div", na * (1 - signed_div))
        b.constrain("nr_only_signed_div", nr * (1 - signed_div))
        b.constrain("a_hi_bytes", divs * (m.a_hi - u[4] - u[5] * 256))

        r_lo, r_hi = u[0] + u[1] * 256, u[2] + u[3] * 256
        carries = [u[8], u[9], u[10], u[11]]
        products = [u[2 * k] + u[2 * k + 1] * 256 for k in range(4)]
        z = [r_lo, r_hi, nr * 0xFFFF, nr * 0xFFFF]
        w_div = [m.a_lo, m.a_hi, na * 0xFFFF, na * 0xFFFF]
        t = limb_products(c, sx_m, sy_m)
        for k in range(4):
            carry_in = carries[k - 1] if k else 0
            b.constrain(f"limb{k}", (muls + divs) * (t[k] + carry_in - carries[k] * 65536)
                        - muls * products[k] + divs * (z[k] - w_div[k]))

        # Division by zero and overflow.
        b.constrain("bz_only_div", bz * (1 - divs))
        b.constrain("bz_divisor_zero", bz * (y_lo + y_hi))
        b.constrain("bz_quotient_ones", bz * (32 - sum(x, 0)))
        b.constrain("ovf_boolean", divs * ovf * (ovf - 1))
        b.constrain("ovf_only_signed", c.flags("divu", "remu") * ovf)
        b.constrain("ovf_dividend_lo", divs * ovf * m.a_lo)
        b.constrain("ovf_dividend_hi", divs * ovf * (m.a_hi - 0x8000))
        b.constrain("ovf_divisor", divs * ovf * (32 - sum(y, 0)))

        # The remainder: sign of the dividend (or zero), smaller than the divisor.
        b.constrain("r_sign_follows_a", nr * (1 - na))
        b.constrain("r_zero_or_signed", na * (1 - nr) * (r_lo + r_hi))
        nb = sy_m
        bound = divs - bz
        b_lo_adj = y_lo + nb * (0xFFFF - y_lo * 2)
        b_hi_adj = y_hi + nb * (0xFFFF - y_hi * 2)
        r_lo_adj = (0xFFFF - r_lo) + nr * (r_lo * 2 - 0xFFFF)
        r_hi_adj = (0xFFFF - r_hi) + nr * (r_hi * 2 - 0xFFFF)
        kappa = alu.tri0 - 1
        s_lo, s_hi = u[6] + u[7] * 256, u[12] + u[13] * 256
        b.constrain("bound_lo", bound * (b_lo_adj + r_lo_adj + nb - nr - s_lo - kappa * 65536))
        b.constrain("bound_hi", bound * (b_hi_adj + r_hi_adj + kappa - s_hi - 65536))


def results(c: Columns) -> list[tuple]:
    x_lo, x_hi = halves(c.x)
    u = c.u
    products = [u[2 * k] + u[2 * k + 1] * 256 for k in range(4)]
    return [
        (c.op["mul"], products[0], products[1]),
        (c.flags("mulh", "mulhsu", "mulhu"), products[2], products[3]),
        (c.flags("div", "divu"), x_lo, x_hi),
        (c.flags("rem", "remu"), u[0] + u[1] * 256, u[2] + u[3] * 256),
    ]
