"""Witness of the syscall rows: ecall kinds, arguments rows, copy rows.

Meaning of the columns: :mod:`engine.circuit.syscalls`. The copy rows of one
syscall are a run of ``KIND_SYSCALL_IO`` rows after its arguments row; per-run
quantities (bytes left, the count) are computed with cumulative sums over all copy
rows at once. Every result the circuit computes is compared with the executor's
(``set_result``): the two must agree on every value a guest can observe.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.syscalls import BRK_ABOVE, EBADF_VALUE, EFAULT_VALUE, ENOSYS_VALUE
from engine.circuit.witness_alu import MASK32, field_inverse, helper, set_bits, set_bytes, \
    set_result
from engine.field.babybear import P
from engine.vm.memory_map import GUEST_MEMORY_START, HEAP_LIMIT
from engine.vm.trace import C_IO_LENGTH, C_IO_OFFSET


def fill(rows) -> None:
    g = rows.get
    a_lo, a_hi, b_lo, b_hi = (g(f"mem.{n}") for n in ("a_lo", "a_hi", "b_lo", "b_hi"))
    a = a_lo + (a_hi << 16)
    b = b_lo + (b_hi << 16)
    _ecall_rows(rows, a_lo, a_hi, b_lo, b_hi)
    _brk_rows(rows, b)
    copied = _copy_rows(rows, _count_of_args(rows, a, b))
    _args_rows(rows, a, b, copied)


def _ecall_rows(rows, a_lo, a_hi, b_lo, b_hi) -> None:
    read = rows.is_("read")
    fd_sum = b_lo + b_hi
    rows.set(helper("read", "z0"), read, (fd_sum == 0)[read])
    rows.set(helper("read", "zi"), read, field_inverse(fd_sum)[read])
    write = rows.is_("write")
    for flag, inv_lo, inv_hi, fd in (("jr", "i1", "i2", 1), ("j2", "i3", "i4", 2)):
        equal = (b_lo == fd) & (b_hi == 0)
        rows.set(helper("write", flag), write, equal[write])
        lo_differs = write & ~equal & (b_lo != fd)
        rows.set(helper("write", inv_lo), lo_differs, field_inverse(b_lo - fd)[lo_differs])
        hi_differs = write & ~equal & (b_lo == fd)
        rows.set(helper("write", inv_hi), hi_differs, field_inverse(b_hi)[hi_differs])
    other = rows.is_("other")
    u = (a_lo - 63) * (a_lo - 64) % P
    v = (a_lo - 93) * (a_lo - 94) % P
    uv = u * v % P
    uvw = uv * (a_lo - 214) % P
    for name, value in (("u", u), ("v", v), ("uv", uv), ("uvw", uvw)):
        rows.set(helper("other", name), other, value[other])
    high = other & (a_hi != 0)
    rows.set(helper("other", "i1"), high, field_inverse(a_hi)[high])
    low = other & (a_hi == 0)
    rows.set(helper("other", "i2"), low, field_inverse(uvw)[low])
    set_result(rows, other, np.full(int(other.sum()), ENOSYS_VALUE, dtype=np.int64))


def _brk_rows(rows, a) -> None:
    """The break on every row (``cpu.brk_*``) and the brk rows' bounds checks; ``a`` is
    the requested address (a0, the ecall row's rs2 slot). The bounds are the image's
    heap start; the break starts where the segment's context says."""
    heap_start = rows.image.heap_start
    brk = rows.is_("brk")
    idx = np.flatnonzero(brk)
    x = (a - heap_start) & MASK32
    y = (a + BRK_ABOVE) & MASK32
    ok = ((a >= heap_start) & (a <= HEAP_LIMIT)).astype(np.int64)
    set_bits(rows, "x", brk, x[brk])
    set_bits(rows, "y", brk, y[brk])
    rows.set("alu.k0", brk, ((a & 0xFFFF) < (heap_start & 0xFFFF))[brk])
    rows.set("alu.k1", brk, (a < heap_start)[brk])
    rows.set("alu.tri0", brk, (((a & 0xFFFF) + (BRK_ABOVE & 0xFFFF)) >> 16)[brk])
    rows.set("alu.tri1", brk, (a > HEAP_LIMIT)[brk])
    rows.set(helper("brk", "ok"), brk, ok[brk])
    # The break after each brk row: the request where accepted, else unchanged.
    after = np.empty(idx.size, dtype=np.int64)
    current = start = rows.context.brk
    for j, row in enumerate(idx.tolist()):          # one step per brk call, not per row
        if ok[row]:
            current = int(a[row])
        after[j] = current
    set_result(rows, brk, after)
    value = np.full(rows.height, start, dtype=np.int64)
    if idx.size:
        which = np.searchsorted(idx, np.arange(rows.n), side="left") - 1
        value[:rows.n] = np.where(which >= 0, after[np.maximum(which, 0)], start)
        value[rows.n:] = after[-1]
    rows.col("cpu.brk_lo")[:] = value & 0xFFFF
    rows.col("cpu.brk_hi")[:] = value >> 16


def _carried_from_ecall(rows, args: np.ndarray, column: str) -> np.ndarray:
    """The fd test ``column`` of the ecall row before each arguments row in ``args``
    (row indices); an arguments row that starts the segment has it from the context."""
    prev = args - 1
    return np.where(prev >= 0, rows.get(column)[np.maximum(prev, 0)], rows.context.fdt)


def _count_of_args(rows, a, b) -> np.ndarray:
    """The bytes each arguments row's syscall copies (0 on other rows): ``n`` for a
    journal write with a good buffer, ``min(n, left)`` for a read of fd 0 with one."""
    count = np.zeros(rows.n, dtype=np.int64)
    args = np.flatnonzero(rows.is_("args_r", "args_wj"))
    if args.size == 0:
        return count
    checks = _buffer_checks(a[args], b[args])
    copies = checks["ok"] * checks["nz"] == 1
    b_ = b[args]
    is_read = rows.is_("args_r")[args]
    fd_ok = _carried_from_ecall(rows, args, helper("read", "z0"))
    left = rows.get("cpu.ileft")[args]
    count[args] = np.where(is_read, np.where(copies & (fd_ok == 1), np.minimum(b_, left), 0),
                           np.where(copies, b_, 0))
    return count


def _buffer_checks(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """The buffer check of arguments rows with buffer ``a`` and count ``b``, as the
    circuit makes it (``syscalls._args_rows``): ``nz``, the carries ``tri0``/``tri1`` of
    ``a + b + 0xF3FF_FFFF``, ``hb`` (the buffer ends beyond guest memory), ``k1`` (it
    starts below), ``ok`` and ``bad``."""
    a_lo, b_lo = a & 0xFFFF, b & 0xFFFF
    nz = (b != 0).astype(np.int64)
    tri0 = (a_lo + b_lo + 0xFFFF) >> 16
    tri1 = ((a >> 16) + (b >> 16) + 0xF3FF + tri0) >> 16
    hb = (tri1 >= 1).astype(np.int64)
    k1 = (a < GUEST_MEMORY_START).astype(np.int64)
    ok = (1 - k1) * (1 - hb)
    return {"nz": nz, "tri0": tri0, "tri1": tri1, "hb": hb, "k1": k1, "ok": ok,
            "bad": nz * (1 - ok)}


def _copy_rows(rows, count_of) -> dict:
    """Copy-row state; returns, per arguments row index, the bytes its copy rows move.
    ``count_of``: what each arguments row's syscall copies. Copy rows before the
    segment's first arguments row continue the syscall its context describes."""
    io = rows.is_("io_r", "io_w")
    idx = np.flatnonzero(io)
    if idx.size == 0:
        return {}
    t = rows.t
    offset, length = t[idx, C_IO_OFFSET], t[idx, C_IO_LENGTH]
    args = rows.is_("args_r", "args_wj", "args_wn")
    group = np.maximum.accumulate(np.where(args, np.arange(rows.n), -1))[idx]
    first = np.concatenate([[True], group[1:] != group[:-1]])
    cum = np.cumsum(length)
    run = np.cumsum(first) - 1
    before = cum - length - (cum - length)[first][run]      # bytes of the run before a row
    context = rows.context
    total = np.where(group[first] >= 0, count_of[np.maximum(group[first], 0)], context.count)
    start_left = np.where(group[first] >= 0, total, context.left)
    left = start_left[run] - before
    if (left < length).any():
        raise ValueError("a copy row copies more than its syscall has left")
    last = left == length
    run_ends = np.concatenate([first[1:], [True]])
    if (run_ends & ~last & (idx != rows.n - 1)).any():
        raise ValueError("a syscall's copy rows stop before it has copied everything")
    mask = np.zeros(rows.n, dtype=bool)
    mask[idx] = True
    for k in range(4):
        rows.set(helper("io", f"e{k}"), mask, (offset == k).astype(np.int64))
        rows.set(helper("io", f"f{k}"), mask, (offset + length - 1 == k).astype(np.int64))
    word = rows.slot(2, "addr")[idx]
    rows.set(helper("io", "ptr"), mask, 4 * word + offset)
    rows.set(helper("io", "left"), mask, left)
    rows.set(helper("io", "more"), mask, (~last).astype(np.int64))
    count = total[run]
    rows.set(helper("io", "cn_lo"), mask, count & 0xFFFF)
    rows.set(helper("io", "cn_hi"), mask, count >> 16)
    set_bits(rows, "y", mask, rows.slot(2, "prev")[idx])
    io_r = rows.is_("io_r")
    set_bits(rows, "x", io_r, rows.slot(2, "val")[io_r])
    last_rows = np.zeros(rows.n, dtype=bool)
    last_rows[idx[last]] = True
    set_result(rows, last_rows, count[last])
    return {g: c for g, c in zip(group[first].tolist(), total.tolist()) if g >= 0}


def _args_rows(rows, a, b, copied: dict) -> None:
    n = rows.n
    args = rows.is_("args_r", "args_wj", "args_wn")
    count = np.zeros(n, dtype=np.int64)
    for row, total in copied.items():
        count[row] = total
    # The copy rows of an arguments row that ends the rows (the next segment's first
    # row, appended for the state handed over) are in the next segment: no count here.
    counted = np.arange(n) < n - 1
    # The buffer check of every arguments row.
    a_lo, b_lo = a & 0xFFFF, b & 0xFFFF
    checks = _buffer_checks(a, b)
    nz, tri0, tri1, hb, k1, ok, bad = (checks[name] for name in
                                       ("nz", "tri0", "tri1", "hb", "k1", "ok", "bad"))
    set_bits(rows, "x", args, ((a - GUEST_MEMORY_START) & MASK32)[args])
    set_bits(rows, "y", args, ((a + b + 0xF3FFFFFF) & MASK32)[args])
    for name, value in (("alu.k0", (a_lo < GUEST_MEMORY_START).astype(np.int64)),
                        ("alu.k1", k1), ("alu.tri0", tri0), ("alu.tri1", tri1),
                        (helper("args", "hb"), hb), (helper("args", "ok"), ok),
                        (helper("args", "nz"), nz), (helper("args", "bad"), bad),
                        (helper("args", "ninv"), field_inverse(b_lo + (b >> 16)))):
        rows.set(name, args, value[args])
    # read: min(n, left) bytes of the input not yet read, if fd = 0 and the buffer is good.
    args_r = rows.is_("args_r")
    rz = np.zeros(n, dtype=np.int64)
    rz[args_r] = _carried_from_ecall(rows, np.flatnonzero(args_r), helper("read", "z0"))
    left = rows.get("cpu.ileft")
    lt = (b < left).astype(np.int64)
    cnt = np.minimum(b, left)
    diff = (b - left) & MASK32
    cz = (cnt != 0).astype(np.int64)
    cp_r = rz * ok * cz
    if (cp_r[args_r & counted] != (count[args_r & counted] > 0)).any():
        raise ValueError("a read copied differently from what its arguments say")
    set_bytes(rows, 0, args_r, left[args_r], 4)
    rows.set("alu.u4", args_r, ((left >> 24) * 4)[args_r])
    set_bytes(rows, 5, args_r, diff[args_r], 4)
    for name, value in (("alu.u9", (b_lo < (left & 0xFFFF)).astype(np.int64)),
                        (helper("args_r", "rz"), rz), (helper("args_r", "lt"), lt),
                        (helper("args_r", "cnt_lo"), cnt & 0xFFFF),
                        (helper("args_r", "cnt_hi"), cnt >> 16),
                        (helper("args_r", "cz"), cz),
                        (helper("args_r", "cinv"), field_inverse((cnt & 0xFFFF) + (cnt >> 16))),
                        (helper("args_r", "oc"), ok * cz), (helper("args", "cp"), cp_r),
                        (helper("args", "more"), cp_r)):
        rows.set(name, args_r, value[args_r])
    errno_r = np.where(rz == 0, EBADF_VALUE, bad * EFAULT_VALUE)
    set_result(rows, args_r, errno_r[args_r])
    # write to the journal: copies n bytes unless n = 0 or the buffer is bad.
    wj = rows.is_("args_wj")
    cp_wj = nz * ok
    if (cp_wj[wj & counted] != (count[wj & counted] > 0)).any():
        raise ValueError("a journal write copied differently from what its arguments say")
    rows.set(helper("args", "cp"), wj, cp_wj[wj])
    rows.set(helper("args", "more"), wj, cp_wj[wj])
    set_result(rows, wj, (bad * EFAULT_VALUE)[wj])
    # write to another fd: n for fd 2 (the host log) with a good buffer, else an errno.
    wn = rows.is_("args_wn")
    lg = np.zeros(n, dtype=np.int64)
    lg[wn] = _carried_from_ecall(rows, np.flatnonzero(wn), helper("write", "j2"))
    g = lg * ok
    rows.set(helper("args_wn", "lg"), wn, lg[wn])
    rows.set(helper("args_wn", "g"), wn, g[wn])
    set_result(rows, wn, np.where(lg == 0, EBADF_VALUE, bad * EFAULT_VALUE + g * b)[wn])
