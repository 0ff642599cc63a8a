"""Syscalls: the ecall row, the arguments row, the copy rows, the journal and exit.

The rows follow the executor (``engine.vm.kernel``) exactly: every value a syscall
returns to the guest is determined by the machine's state and the private input
(``docs/circuit.md``, "What the prover chooses"). An ecall row reads a7 (slot rs1)
and a0 (slot rs2) and is one of five kinds, fixed by a7:

* ``exit`` (a7 = 93 or 94): halts; a0 is the exit code (public values
  ``exit_lo``, ``exit_hi``);
* ``read`` (63) / ``write`` (64): the next row is an arguments row reading a1 (buffer)
  and a2 (count). ``read`` proves ``rz = [fd == 0]`` (``z0`` with an inverse either
  way); ``write`` proves ``jr = [fd == 1]`` and ``j2 = [fd == 2]`` the same way;
* ``brk`` (214): the break ``cpu.brk`` (starting at the public ``heap_start``, bound
  by the image ID) moves to a0 when ``heap_start <= a0 <= HEAP_LIMIT`` (the borrow of
  ``X = a0 - heap_start`` and the carry of ``Y = a0 + 0xF40F_FFFF``); a0 gets the
  (new or unchanged) break;
* ``other`` (anything else, proven with inverses of ``a7_hi`` and
  ``(a7-63)(a7-64)(a7-93)(a7-94)(a7-214)``): a0 gets ``-ENOSYS``.

Arguments rows all check the buffer: ``nz = [n != 0]``, ``ok``: ``buf >= 0x1000`` from
the borrow of ``X = buf - 0x1000``, ``buf + n <= 0x0C00_0000`` from the carries of
``Y = buf + n + 0xF3FF_FFFF``; ``bad = nz·(1 - ok)`` is the -EFAULT case.

* ``args_wj`` (write to fd 1): copies exactly ``n`` bytes to the journal when
  ``n != 0`` and ``ok``, and returns ``n`` (written by the last copy row); otherwise
  0 (``n = 0``) or ``-EFAULT``. A prover cannot skip or shorten a journal write;
* ``args_wn`` (write to another fd): returns ``n`` for fd 2 (``lg``, the host log,
  which is not part of the claim and has no copy rows), ``-EFAULT`` for fd 2 with a bad
  buffer, ``-EBADF`` for any other fd;
* ``args_r`` (read): ``-EBADF`` unless fd is 0, ``-EFAULT`` for a bad buffer, else
  ``count = min(n, left)`` bytes where ``left = cpu.ileft`` is the private input not
  yet read: ``left`` in bytes ``u0..u3`` with ``u4 = 4·u3`` a byte too (so
  ``left < 2^30 < p``), ``D = n - left`` in bytes ``u5..u8`` with borrows ``u9``
  (low half) and ``lt = [n < left]``, ``count = lt ? n : left`` (``cnt_lo``,
  ``cnt_hi``), ``cz = [count != 0]``; copy rows follow iff ``cp = rz·ok·cz``, and
  ``ileft`` falls by every byte they copy. The input's length (the first row's
  ``ileft``) and its bytes are the prover's only free choice.

Copy rows (``io_r``, ``io_w``) copy one word each: ``ptr`` (byte address), ``left``
(bytes still to copy), the one-hot offset ``e0..e3`` and last byte ``f0..f3``, masks
``m_k`` of the bytes copied. ``4·w + offset = ptr``; a row that is not the last
(``more``) ends at byte 3 and the next starts at byte 0 of the next word;
``left`` drops by the bytes copied and is exactly used up on the last row, which
writes a0 (the count ``cn``, carried from the arguments row) and moves the pc on.
``io_r`` writes input bytes inside the mask and keeps the others; ``io_w`` reads the
word and sends ``(jpos + k - offset, byte_k)`` on the ``journal`` bus for each copied
byte ``k``. ``cpu.jpos`` counts journal bytes: 0 on the first row, ``+len`` per
``io_w`` row; a segment starts at ``j_in`` and ends at ``j_out`` (publics, chained by
the verifier from 0 to the journal's length); the verifier receives ``(k,
journal[k])`` for ``j_in <= k < j_out`` in that segment, so the journal, its order
and its length are bound to the claim.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.alu import byte_of, halves
from engine.circuit.columns import Columns
from engine.stark.air import FIRST, LAST, TRANSITION, AirBuilder
from engine.stark.logup_trace import PublicMessages
from engine.vm.memory_map import HEAP_LIMIT

JOURNAL_BUS = "journal"
SYS_READ, SYS_WRITE, SYS_EXIT, SYS_EXIT_GROUP, SYS_BRK = 63, 64, 93, 94, 214
# Linux's errno values, returned negated as unsigned 32-bit words (engine.vm.kernel).
EBADF_VALUE = (-9) & 0xFFFFFFFF
EFAULT_VALUE = (-14) & 0xFFFFFFFF
ENOSYS_VALUE = (-38) & 0xFFFFFFFF
# brk: a0 + BRK_ABOVE carries out of 32 bits exactly when a0 > HEAP_LIMIT.
BRK_ABOVE = 0xFFFFFFFF - HEAP_LIMIT
ARGS = ("args_r", "args_wj", "args_wn")
IO = ("io_r", "io_w")


def _lo(value: int) -> int:
    return value & 0xFFFF


def _hi(value: int) -> int:
    return value >> 16


def journal_messages(journal: bytes, start: int = 0, end: int | None = None) -> PublicMessages:
    """The verifier's receives on the journal bus for the bytes ``[start, end)`` a
    segment writes (default: all): ``(k, journal[k])``."""
    end = len(journal) if end is None else end
    data = np.frombuffer(bytes(journal), dtype=np.uint8)[start:end].astype(np.int64)
    values = np.stack([start + np.arange(data.size, dtype=np.int64), data], 1)
    return PublicMessages(JOURNAL_BUS, values, np.full(data.size, -1, dtype=np.int64))


def io_window(c: Columns):
    """``(e, f, offset, length, masks)`` of a copy row."""
    e = [c.hv("io", f"e{k}") for k in range(4)]
    f = [c.hv("io", f"f{k}") for k in range(4)]
    offset = e[1] + e[2] * 2 + e[3] * 3
    end = f[1] + f[2] * 2 + f[3] * 3
    masks = [sum(e[:k + 1], 0) - sum(f[:k], 0) for k in range(4)]
    return e, f, offset, end - offset + 1, masks


def constrain(b: AirBuilder, c: Columns, publics: dict) -> None:
    with b.scope("sys"):
        _ecall_rows(b, c, publics)
        _brk(b, c, publics)
        _args_rows(b, c)
        _read_count(b, c)
        _io_rows(b, c, publics)


def _ecall_rows(b: AirBuilder, c: Columns, publics: dict) -> None:
    op, m = c.op, c.mem
    a_lo, a_hi, fd_lo, fd_hi = m.a_lo, m.a_hi, m.b_lo, m.b_hi
    fd_sum = fd_lo + fd_hi            # zero exactly when fd = 0: both halves are < 2^16
    b.constrain("a7_hi_zero", c.flags("exit", "read", "write", "brk") * a_hi)
    b.constrain("a7_lo", op["read"] * (a_lo - SYS_READ) + op["write"] * (a_lo - SYS_WRITE)
                + op["brk"] * (a_lo - SYS_BRK)
                + op["exit"] * (a_lo - SYS_EXIT) * (a_lo - SYS_EXIT_GROUP))
    b.constrain("exit_code_lo", op["exit"] * (fd_lo - publics["exit_lo"]))
    b.constrain("exit_code_hi", op["exit"] * (fd_hi - publics["exit_hi"]))
    # read: z0 = [fd == 0], proven both ways, carried to the arguments row as rz.
    z0, zi = c.hv("read", "z0"), c.hv("read", "zi")
    b.constrain("read_fd_zero", op["read"] * z0 * fd_sum)
    b.constrain("read_fd_nonzero", op["read"] * (1 - z0 - zi * fd_sum))
    b.constrain("read_carries_fd", op["read"] * (c.hv("args_r", "rz").next - z0),
                when=TRANSITION)
    # write: jr = [fd == 1] and j2 = [fd == 2], each proven both ways.
    jr, i1, i2 = (c.hv("write", n) for n in ("jr", "i1", "i2"))
    j2, i3, i4 = (c.hv("write", n) for n in ("j2", "i3", "i4"))
    b.constrain("write_fd_one_lo", op["write"] * jr * (fd_lo - 1))
    b.constrain("write_fd_one_hi", op["write"] * jr * fd_hi)
    b.constrain("write_fd_not_one", op["write"] * (1 - jr - i1 * (fd_lo - 1) - i2 * fd_hi))
    b.constrain("write_fd_two_lo", op["write"] * j2 * (fd_lo - 2))
    b.constrain("write_fd_two_hi", op["write"] * j2 * fd_hi)
    b.constrain("write_fd_not_two", op["write"] * (1 - j2 - i3 * (fd_lo - 2) - i4 * fd_hi))
    b.constrain("write_carries_fd", op["write"] * (c.hv("args_wn", "lg").next - j2),
                when=TRANSITION)
    b.constrain("then_args_r", op["args_r"].next - op["read"], when=TRANSITION)
    b.constrain("then_args_wj", op["args_wj"].next - op["write"] * jr, when=TRANSITION)
    b.constrain("then_args_wn", op["args_wn"].next - op["write"] * (1 - jr), when=TRANSITION)
    # other: a7 is none of 63, 64, 93, 94, 214.
    u, v, uv, uvw, j1, j2 = (c.hv("other", n) for n in ("u", "v", "uv", "uvw", "i1", "i2"))
    other = op["other"]
    b.constrain("other_u", other * (u - (a_lo - SYS_READ) * (a_lo - SYS_WRITE)))
    b.constrain("other_v", other * (v - (a_lo - SYS_EXIT) * (a_lo - SYS_EXIT_GROUP)))
    b.constrain("other_uv", other * (uv - u * v))
    b.constrain("other_uvw", other * (uvw - uv * (a_lo - SYS_BRK)))
    b.constrain("other_a7", other * (j1 * a_hi + j2 * uvw - 1))


def _brk(b: AirBuilder, c: Columns, publics: dict) -> None:
    """The break starts at the image's heap start and moves only on an accepted brk.
    The requested address is a0, read in the ecall row's rs2 slot (``mem.b_*``)."""
    op, m, cpu, alu = c.op, c.mem, c.cpu, c.alu
    brk, ok = op["brk"], c.hv("brk", "ok")
    is_first = publics["is_first"]
    b.constrain("brk_first_lo", is_first * (cpu.brk_lo - publics["heap_lo"]), when=FIRST)
    b.constrain("brk_first_hi", is_first * (cpu.brk_hi - publics["heap_hi"]), when=FIRST)
    # ok: not below the heap start (no borrow of X), not above HEAP_LIMIT (no carry of Y).
    b.constrain("brk_ok", brk * (ok - (1 - alu.k1) * (1 - alu.tri1)))
    b.constrain("brk_step_lo", cpu.brk_lo.next - cpu.brk_lo - brk * ok * (m.b_lo - cpu.brk_lo),
                when=TRANSITION)
    b.constrain("brk_step_hi", cpu.brk_hi.next - cpu.brk_hi - brk * ok * (m.b_hi - cpu.brk_hi),
                when=TRANSITION)


def _args_rows(b: AirBuilder, c: Columns) -> None:
    op, m, cpu, alu = c.op, c.mem, c.cpu, c.alu
    args = c.flags(*ARGS)
    syscall_rows = c.flags(*ARGS, *IO)
    b.constrain("args_rs1", args * (cpu.rs1 - 11))
    b.constrain("args_rs2", args * (cpu.rs2 - 12))
    b.constrain("rd_a0", syscall_rows * (cpu.rd - 10))
    b.constrain("use_rs2", (1 - c.instruction) * (cpu.use_rs2 - args))
    cp, more = c.hv("args", "cp"), c.hv("io", "more")
    b.constrain("wr", (1 - c.instruction) * (cpu.wr - op["args_wn"]
                                            - c.flags("args_r", "args_wj") * (1 - cp)
                                            - c.flags(*IO) * (1 - more)))
    copying = c.flags("args_r", "args_wj")
    b.constrain("more_is_cp", copying * (more - cp))
    # Every arguments row checks its buffer: nz = [n != 0], ok = inside guest memory.
    hb, ok, nz, ninv, bad = (c.hv("args", n) for n in ("hb", "ok", "nz", "ninv", "bad"))
    n_sum = m.b_lo + m.b_hi
    b.constrain("args_nz_if_nonzero", args * (1 - nz) * n_sum)
    b.constrain("args_nz_only_if_nonzero", args * (nz - ninv * n_sum))
    b.constrain("args_end_beyond", args * (hb * 2 - alu.tri1 * (3 - alu.tri1)))
    b.constrain("args_ok", args * (ok - (1 - alu.k1) * (1 - hb)))
    b.constrain("args_bad", args * (bad - nz * (1 - ok)))
    # write to the journal copies iff n != 0 and the buffer is good; to fd 2 (lg) it
    # returns n iff the buffer is good (g).
    b.constrain("wj_cp", op["args_wj"] * (cp - nz * ok))
    b.constrain("wn_g", op["args_wn"] * (c.hv("args_wn", "g") - c.hv("args_wn", "lg") * ok))
    # The first copy row starts at buf with everything left to copy.
    ptr, left = c.hv("io", "ptr"), c.hv("io", "left")
    cn_lo, cn_hi = c.hv("io", "cn_lo"), c.hv("io", "cn_hi")
    cnt_lo, cnt_hi = c.hv("args_r", "cnt_lo"), c.hv("args_r", "cnt_hi")
    r, wj = op["args_r"], op["args_wj"]
    b.constrain("start_ptr", copying * more * (ptr.next - m.a_lo - m.a_hi * 65536),
                when=TRANSITION)
    b.constrain("start_left", more * (r * (left.next - cnt_lo - cnt_hi * 65536)
                                      + wj * (left.next - m.b_lo - m.b_hi * 65536)),
                when=TRANSITION)
    b.constrain("start_n_lo", more * (r * (cn_lo.next - cnt_lo) + wj * (cn_lo.next - m.b_lo)),
                when=TRANSITION)
    b.constrain("start_n_hi", more * (r * (cn_hi.next - cnt_hi) + wj * (cn_hi.next - m.b_hi)),
                when=TRANSITION)


def _read_count(b: AirBuilder, c: Columns) -> None:
    """read copies ``count = min(n, left)`` bytes of the input not yet read."""
    op, m, cpu, u = c.op, c.mem, c.cpu, c.u
    r = op["args_r"]
    lt, cz, cinv, oc, rz, cp = (c.hv("args_r", n) for n in ("lt", "cz", "cinv", "oc", "rz",
                                                              "cp"))
    cnt_lo, cnt_hi = c.hv("args_r", "cnt_lo"), c.hv("args_r", "cnt_hi")
    left_lo, left_hi = u[0] + u[1] * 256, u[2] + u[3] * 256
    b.constrain("read_left", r * (cpu.ileft - left_lo - left_hi * 65536))
    # u4 = 4·u3 is a byte, so u3 < 64 and left < 2^30 < p: left never wraps.
    b.constrain("read_left_small", r * (u[4] - u[3] * 4))
    # D = n - left + lt·2^32 in bytes u5..u8, low borrow u9 (not looked up on this row):
    # lt = [n < left].
    borrow = u[9]
    b.constrain("read_borrow_boolean", r * borrow * (borrow - 1))
    b.constrain("read_lt_boolean", r * lt * (lt - 1))
    b.constrain("read_diff_lo", r * (u[5] + u[6] * 256 - m.b_lo + left_lo - borrow * 65536))
    b.constrain("read_diff_hi", r * (u[7] + u[8] * 256 - m.b_hi + left_hi + borrow
                                     - lt * 65536))
    b.constrain("read_count_lo", r * (cnt_lo - left_lo - lt * (m.b_lo - left_lo)))
    b.constrain("read_count_hi", r * (cnt_hi - left_hi - lt * (m.b_hi - left_hi)))
    cnt_sum = cnt_lo + cnt_hi
    b.constrain("read_cz_if_nonzero", r * (1 - cz) * cnt_sum)
    b.constrain("read_cz_only_if_nonzero", r * (cz - cinv * cnt_sum))
    b.constrain("read_oc", r * (oc - c.hv("args", "ok") * cz))
    b.constrain("read_cp", r * (cp - rz * oc))
    _, _, _, length, _ = io_window(c)
    b.constrain("ileft_step", cpu.ileft.next - cpu.ileft + op["io_r"] * length,
                when=TRANSITION)


def _io_rows(b: AirBuilder, c: Columns, publics: dict) -> None:
    op, m, cpu = c.op, c.mem, c.cpu
    io = c.flags(*IO)
    e, f, offset, length, masks = io_window(c)
    ptr, left, more = c.hv("io", "ptr"), c.hv("io", "left"), c.hv("io", "more")
    for k in range(4):
        b.constrain(f"io_e{k}_boolean", io * e[k] * (e[k] - 1))
        b.constrain(f"io_f{k}_boolean", io * f[k] * (f[k] - 1))
    b.constrain("io_e_one_hot", io * (sum(e, 0) - 1))
    b.constrain("io_f_one_hot", io * (sum(f, 0) - 1))
    for k in (1, 2):
        b.constrain(f"io_mask{k}_boolean", io * masks[k] * (masks[k] - 1))
    b.constrain("io_window_nonempty", io * (sum((e[k] * masks[k] for k in range(4)), 0) - 1))
    b.constrain("io_address", io * (m.w * 4 + offset - ptr))
    b.constrain("io_more_boolean", io * more * (more - 1))
    b.constrain("io_more_to_word_end", io * more * (1 - f[3]))
    b.constrain("io_left", io * (left - length - more * left.next), when=TRANSITION)
    b.constrain("io_next_offset", io * more * (1 - e[0].next), when=TRANSITION)
    b.constrain("io_next_ptr", io * more * (ptr.next - ptr - length), when=TRANSITION)
    b.constrain("then_io_r", op["io_r"].next - more * c.flags("args_r", "io_r"), when=TRANSITION)
    b.constrain("then_io_w", op["io_w"].next - more * c.flags("args_wj", "io_w"), when=TRANSITION)
    x, y = c.x, c.y
    for k in range(4):
        b.constrain(f"io_r_keeps_byte{k}", op["io_r"] * (1 - masks[k])
                    * (byte_of(x, k) - byte_of(y, k)))
    cn_lo, cn_hi = c.hv("io", "cn_lo"), c.hv("io", "cn_hi")
    b.constrain("io_carries_n_lo", io * more * (cn_lo.next - cn_lo), when=TRANSITION)
    b.constrain("io_carries_n_hi", io * more * (cn_hi.next - cn_hi), when=TRANSITION)
    # The journal.
    jpos = cpu.jpos
    is_last = publics["is_last"]
    b.constrain("jpos_first", jpos - publics["j_in"], when=FIRST)
    b.constrain("jpos_step", jpos.next - jpos - op["io_w"] * length, when=TRANSITION)
    # The position after the last row: jpos itself when the run has halted, else what
    # the next segment starts from (its state copy).
    b.constrain("jpos_last", is_last * jpos + (1 - is_last) * c.st.jpos - publics["j_out"],
                when=LAST)
    for k in range(4):
        b.send(JOURNAL_BUS, [jpos + k - offset, byte_of(y, k)], mult=op["io_w"] * masks[k],
               name=f"journal_byte{k}")


def x_definitions(c: Columns, publics: dict) -> list[tuple]:
    m, alu = c.mem, c.alu
    k0, k1 = alu.k0, alu.k1
    return [
        (c.flags(*ARGS), m.a_lo - 0x1000 + k0 * 65536, m.a_hi - k0 + k1 * 65536),
        (c.op["brk"], m.b_lo - publics["heap_lo"] + k0 * 65536,
         m.b_hi - publics["heap_hi"] - k0 + k1 * 65536),
    ]


def y_definitions(c: Columns) -> list[tuple]:
    m, alu = c.mem, c.alu
    tri0, tri1 = alu.tri0, alu.tri1
    return [
        (c.flags(*ARGS), m.a_lo + m.b_lo + 0xFFFF - tri0 * 65536,
         m.a_hi + m.b_hi + 0xF3FF + tri0 - tri1 * 65536),
        (c.op["brk"], m.b_lo + _lo(BRK_ABOVE) - tri0 * 65536,
         m.b_hi + _hi(BRK_ABOVE) + tri0 - tri1 * 65536),
    ]


def results(c: Columns) -> list[tuple]:
    """The a0 each syscall row writes: nothing here is left to the prover."""
    m, cpu, op = c.mem, c.cpu, c.op
    ok = c.hv("brk", "ok")
    bad, rz = c.hv("args", "bad"), c.hv("args_r", "rz")
    lg, g = c.hv("args_wn", "lg"), c.hv("args_wn", "g")
    more = c.hv("io", "more")

    def errno(mask_ebadf, mask_efault, half):
        return mask_ebadf * half(EBADF_VALUE) + mask_efault * half(EFAULT_VALUE)

    return [
        (op["brk"], cpu.brk_lo + ok * (m.b_lo - cpu.brk_lo),
         cpu.brk_hi + ok * (m.b_hi - cpu.brk_hi)),
        (op["other"], _lo(ENOSYS_VALUE), _hi(ENOSYS_VALUE)),
        # Without copy rows read returns -EBADF, -EFAULT or 0.
        (op["args_r"], errno(1 - rz, rz * bad, _lo), errno(1 - rz, rz * bad, _hi)),
        (op["args_wj"], bad * _lo(EFAULT_VALUE), bad * _hi(EFAULT_VALUE)),
        (op["args_wn"], errno(1 - lg, lg * bad, _lo) + g * m.b_lo,
         errno(1 - lg, lg * bad, _hi) + g * m.b_hi),
        (c.flags(*IO) * (1 - more), c.hv("io", "cn_lo"), c.hv("io", "cn_hi")),
    ]


def ram_values(c: Columns) -> list[tuple]:
    x_lo, x_hi = halves(c.x)
    y_lo, y_hi = halves(c.y)
    return [(c.op["io_r"], x_lo, x_hi), (c.op["io_w"], y_lo, y_hi)]
