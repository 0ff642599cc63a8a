"""Witness of the syscall rows: ecall kinds, arguments rows, copy rows.

Meaning of the columns: :mod:`engine.circuit.syscalls`. The copy rows of one
syscall are a run of ``KIND_SYSCALL_IO`` rows after its arguments row; per-run
quantities (bytes left, the count) are computed with cumulative sums over all copy
rows at once.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.syscalls import EFAULT_VALUE
from engine.circuit.witness_alu import MASK32, field_inverse, helper, set_bits
from engine.field.babybear import P
from engine.vm.trace import C_IO_LENGTH, C_IO_OFFSET


def fill(rows) -> None:
    g = rows.get
    a_lo, a_hi, b_lo, b_hi = (g(f"mem.{n}") for n in ("a_lo", "a_hi", "b_lo", "b_hi"))
    a = a_lo + (a_hi << 16)
    b = b_lo + (b_hi << 16)
    result = rows.slot(3, "val")
    _ecall_rows(rows, a_lo, a_hi, b_lo, b_hi, result)
    copy = _copy_rows(rows)
    _args_rows(rows, a, b, result, copy)


def _ecall_rows(rows, a_lo, a_hi, b_lo, b_hi, result) -> None:
    read = rows.is_("read")
    rows.set(helper("read", "z0"), read, ((b_lo == 0) & (b_hi == 0))[read])
    write = rows.is_("write")
    jr = (b_lo == 1) & (b_hi == 0)
    rows.set(helper("write", "jr"), write, jr[write])
    lo_differs = write & ~jr & (b_lo != 1)
    rows.set(helper("write", "i1"), lo_differs, field_inverse(b_lo - 1)[lo_differs])
    hi_differs = write & ~jr & (b_lo == 1)
    rows.set(helper("write", "i2"), hi_differs, field_inverse(b_hi)[hi_differs])
    other = rows.is_("other")
    u = (a_lo - 63) * (a_lo - 64) % P
    v = (a_lo - 93) * (a_lo - 94) % P
    uv = u * v % P
    rows.set(helper("other", "u"), other, u[other])
    rows.set(helper("other", "v"), other, v[other])
    rows.set(helper("other", "uv"), other, uv[other])
    high = other & (a_hi != 0)
    rows.set(helper("other", "i1"), high, field_inverse(a_hi)[high])
    low = other & (a_hi == 0)
    rows.set(helper("other", "i2"), low, field_inverse(uv)[low])
    advice = rows.is_("other", "args_wn")
    set_bits(rows, "x", advice, result[advice])


def _copy_rows(rows) -> dict:
    """Copy-row state; returns, per arguments row index, the bytes its copy rows move."""
    io = rows.is_("io_r", "io_w")
    idx = np.flatnonzero(io)
    if idx.size == 0:
        return {}
    t = rows.t
    offset, length = t[idx, C_IO_OFFSET], t[idx, C_IO_LENGTH]
    args = rows.is_("args_r", "args_wj", "args_wn")
    group = np.maximum.accumulate(np.where(args, np.arange(rows.n), -1))[idx]
    first = np.concatenate([[True], group[1:] != group[:-1]])
    last = np.concatenate([group[1:] != group[:-1], [True]])
    cum = np.cumsum(length)
    run = np.cumsum(first) - 1
    left = cum[last][run] - cum + length
    mask = np.zeros(rows.n, dtype=bool)
    mask[idx] = True
    for k in range(4):
        rows.set(helper("io", f"e{k}"), mask, (offset == k).astype(np.int64))
        rows.set(helper("io", f"f{k}"), mask, (offset + length - 1 == k).astype(np.int64))
    word = rows.slot(2, "addr")[idx]
    rows.set(helper("io", "ptr"), mask, 4 * word + offset)
    rows.set(helper("io", "left"), mask, left)
    rows.set(helper("io", "more"), mask, (~last).astype(np.int64))
    n_total = (rows.get("mem.b_lo") + (rows.get("mem.b_hi") << 16))[group]
    io_w = rows.is_("io_w")
    rows.set(helper("io", "cn_lo"), io_w, (n_total & 0xFFFF)[io_w[idx]])
    rows.set(helper("io", "cn_hi"), io_w, (n_total >> 16)[io_w[idx]])
    set_bits(rows, "y", mask, rows.slot(2, "prev")[idx])
    io_r = rows.is_("io_r")
    set_bits(rows, "x", io_r, rows.slot(2, "val")[io_r])
    value = np.where(rows.used(3), rows.slot(3, "val"), 0)
    for k in range(4):
        rows.set(f"alu.u{k}", io_r, ((value >> (8 * k)) & 0xFF)[io_r])
    rows.set("mem.c_lo", io_r, (value & 0xFFFF)[io_r])
    rows.set("mem.c_hi", io_r, (value >> 16)[io_r])
    return dict(zip(group[first].tolist(), cum[last] - cum[first] + length[first]))


def _args_rows(rows, a, b, result, copied: dict) -> None:
    n = rows.n
    count = np.zeros(n, dtype=np.int64)
    for row, total in copied.items():
        count[row] = total
    cp = (count > 0).astype(np.int64)
    # read: fd = 0 carried from the ecall row; copies count <= n bytes.
    args_r = rows.is_("args_r")
    prev = np.flatnonzero(args_r) - 1
    rows.set(helper("args_r", "rz"), args_r, rows.get(helper("read", "z0"))[prev])
    rows.set(helper("args_r", "cp"), args_r, cp[args_r])
    rows.set(helper("args_r", "more"), args_r, cp[args_r])
    copying = args_r & (cp == 1)
    y = np.where(copying, count, result)
    set_bits(rows, "y", args_r, y[args_r])
    rows.set("mem.c_lo", args_r, (y & 0xFFFF)[args_r])
    rows.set("mem.c_hi", args_r, (y >> 16)[args_r])
    x = (b - count) & MASK32
    set_bits(rows, "x", copying, x[copying])
    rows.set("alu.k0", copying, ((b & 0xFFFF) < (count & 0xFFFF))[copying])
    room = 0x0BFF - (a >> 16)
    rows.set("alu.u0", copying, (room & 0xFF)[copying])
    rows.set("alu.u1", copying, (room >> 8)[copying])
    # write to the journal: the buffer check decides between copying and -EFAULT.
    wj = rows.is_("args_wj")
    a_lo, a_hi, b_lo, b_hi = a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16
    nz = (b != 0).astype(np.int64)
    k0 = (a_lo < 0x1000).astype(np.int64)
    k1 = (a < 0x1000).astype(np.int64)
    tri0 = (a_lo + b_lo + 0xFFFF) >> 16
    tri1 = (a_hi + b_hi + 0xF3FF + tri0) >> 16
    hb = (tri1 >= 1).astype(np.int64)
    ok = (1 - k1) * (1 - hb)
    wj_cp = nz * ok
    if (wj_cp[wj] != cp[wj]).any():
        raise ValueError("a journal write copied differently from what its arguments say")
    set_bits(rows, "x", wj, ((a - 0x1000) & MASK32)[wj])
    set_bits(rows, "y", wj, ((a + b + 0xF3FFFFFF) & MASK32)[wj])
    for name, value in (("alu.k0", k0), ("alu.k1", k1), ("alu.tri0", tri0), ("alu.tri1", tri1),
                        (helper("args_wj", "hb"), hb), (helper("args_wj", "ok"), ok),
                        (helper("args_wj", "nz"), nz), (helper("args_wj", "cp"), wj_cp),
                        (helper("args_wj", "more"), wj_cp)):
        rows.set(name, wj, value[wj])
    rows.set(helper("args_wj", "ninv"), wj, field_inverse(b_lo + b_hi)[wj])
    efault = (nz - wj_cp) * EFAULT_VALUE
    rows.set("mem.c_lo", wj, (efault & 0xFFFF)[wj])
    rows.set("mem.c_hi", wj, (efault >> 16)[wj])
