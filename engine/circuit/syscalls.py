"""Syscalls: the ecall row, the arguments row, the copy rows, the journal and exit.

The rows follow the executor (``engine.vm.kernel``). An ecall row reads a7 (slot
rs1) and a0 (slot rs2) and is one of four kinds, fixed by a7:

* ``exit`` (a7 = 93 or 94): halts; a0 is the exit code (public values
  ``exit_lo``, ``exit_hi``);
* ``read`` (63) / ``write`` (64): the next row is an arguments row reading a1 (buffer)
  and a2 (count); ``write`` also decides, from a0, whether fd is 1 (journal, ``jr``
  with an inverse proving ``fd != 1`` otherwise);
* ``other`` (anything else, proven with inverses of ``a7_hi`` and
  ``(a7-63)(a7-64)(a7-93)(a7-94)``): writes advice to a0 (``brk``, unknown calls).

Arguments rows:

* ``args_wj`` (write to fd 1): copies exactly ``n`` bytes to the journal when
  ``n != 0`` and the buffer lies in guest memory (``ok``: ``buf >= 0x1000`` from the
  borrow of ``X = buf - 0x1000``, ``buf + n <= 0x0C00_0000`` from the carries of
  ``Y = buf + n + 0xF3FF_FFFF``), and returns ``n`` (written by the last copy row);
  otherwise it returns 0 (``n = 0``) or ``-EFAULT``. The return value and the copy
  are proven: a prover cannot skip a journal write;
* ``args_wn`` (write to another fd): returns advice (the log is not part of the claim);
* ``args_r`` (read): may copy ``count <= n`` advice bytes (``cp``) if fd was 0
  (``rz``, carried from the ecall row) into ``[buf, buf + count)``, ``buf`` below
  ``0x0C00_0000``; a0 is advice.

Copy rows (``io_r``, ``io_w``) copy one word each: ``ptr`` (byte address), ``left``
(bytes still to copy), the one-hot offset ``e0..e3`` and last byte ``f0..f3``, masks
``m_k`` of the bytes copied. ``4·w + offset = ptr``; a row that is not the last
(``more``) ends at byte 3 and the next starts at byte 0 of the next word;
``left`` drops by the bytes copied and is exactly used up on the last row, which
writes a0 and moves the pc on. ``io_r`` writes advice bytes inside the mask and
keeps the others; ``io_w`` reads the word and sends ``(jpos + k - offset, byte_k)`` on
the ``journal`` bus for each copied byte ``k``. ``cpu.jpos`` counts journal bytes:
0 on the first row, ``+len`` per ``io_w`` row, ``journal_len`` (public) at the end;
the verifier receives ``(k, journal[k])`` for ``k < journal_len``, so the journal,
its order and its length are bound to the claim.
"""
from __future__ import annotations

import numpy as np

from engine.circuit.alu import byte_of, halves
from engine.circuit.columns import Columns
from engine.stark.air import FIRST, LAST, TRANSITION, AirBuilder
from engine.stark.logup_trace import PublicMessages

JOURNAL_BUS = "journal"
SYS_READ, SYS_WRITE, SYS_EXIT, SYS_EXIT_GROUP = 63, 64, 93, 94
EFAULT_VALUE = (-14) & 0xFFFFFFFF
ARGS = ("args_r", "args_wj", "args_wn")
IO = ("io_r", "io_w")


def journal_messages(journal: bytes) -> PublicMessages:
    """The verifier's receives on the journal bus: ``(k, journal[k])``."""
    data = np.frombuffer(bytes(journal), dtype=np.uint8).astype(np.int64)
    values = np.stack([np.arange(data.size, dtype=np.int64), data], 1)
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
        _args_rows(b, c)
        _io_rows(b, c, publics)


def _ecall_rows(b: AirBuilder, c: Columns, publics: dict) -> None:
    op, m = c.op, c.mem
    a_lo, a_hi, fd_lo, fd_hi = m.a_lo, m.a_hi, m.b_lo, m.b_hi
    b.constrain("a7_hi_zero", c.flags("exit", "read", "write") * a_hi)
    b.constrain("a7_lo", op["read"] * (a_lo - SYS_READ) + op["write"] * (a_lo - SYS_WRITE)
                + op["exit"] * (a_lo - SYS_EXIT) * (a_lo - SYS_EXIT_GROUP))
    b.constrain("exit_code_lo", op["exit"] * (fd_lo - publics["exit_lo"]))
    b.constrain("exit_code_hi", op["exit"] * (fd_hi - publics["exit_hi"]))
    # read: copying needs fd = 0 (z0, carried to the arguments row as rz).
    z0 = c.hv("read", "z0")
    b.constrain("read_fd_zero", op["read"] * z0 * (fd_lo + fd_hi))
    b.constrain("read_carries_fd", op["read"] * (c.hv("args_r", "rz").next - z0),
                when=TRANSITION)
    # write: jr = [fd == 1], proven both ways.
    jr, i1, i2 = (c.hv("write", n) for n in ("jr", "i1", "i2"))
    b.constrain("write_fd_one_lo", op["write"] * jr * (fd_lo - 1))
    b.constrain("write_fd_one_hi", op["write"] * jr * fd_hi)
    b.constrain("write_fd_not_one", op["write"] * (1 - jr - i1 * (fd_lo - 1) - i2 * fd_hi))
    b.constrain("then_args_r", op["args_r"].next - op["read"], when=TRANSITION)
    b.constrain("then_args_wj", op["args_wj"].next - op["write"] * jr, when=TRANSITION)
    b.constrain("then_args_wn", op["args_wn"].next - op["write"] * (1 - jr), when=TRANSITION)
    # other: a7 is none of 63, 64, 93, 94.
    u, v, uv, j1, j2 = (c.hv("other", n) for n in ("u", "v", "uv", "i1", "i2"))
    other = op["other"]
    b.constrain("other_u", other * (u - (a_lo - SYS_READ) * (a_lo - SYS_WRITE)))
    b.constrain("other_v", other * (v - (a_lo - SYS_EXIT) * (a_lo - SYS_EXIT_GROUP)))
    b.constrain("other_uv", other * (uv - u * v))
    b.constrain("other_a7", other * (j1 * a_hi + j2 * uv - 1))


def _args_rows(b: AirBuilder, c: Columns) -> None:
    op, m, cpu, alu, u = c.op, c.mem, c.cpu, c.alu, c.u
    args = c.flags(*ARGS)
    syscall_rows = c.flags(*ARGS, *IO)
    b.constrain("args_rs1", args * (cpu.rs1 - 11))
    b.constrain("args_rs2", args * (cpu.rs2 - 12))
    b.constrain("rd_a0", syscall_rows * (cpu.rd - 10))
    b.constrain("use_rs2", (1 - c.instruction) * (cpu.use_rs2 - args))
    cp, more = c.hv("args_r", "cp"), c.hv("io", "more")
    b.constrain("wr", (1 - c.instruction) * (cpu.wr - op["args_wn"]
                                            - c.flags("args_r", "args_wj") * (1 - cp)
                                            - c.flags(*IO) * (1 - more)))
    copying = c.flags("args_r", "args_wj")
    b.constrain("more_is_cp", copying * (more - cp))
    # read: cp is the prover's choice, allowed only for fd = 0.
    rz = c.hv("args_r", "rz")
    args_r = op["args_r"]
    b.constrain("read_cp_boolean", args_r * cp * (cp - 1))
    b.constrain("read_cp_needs_fd0", args_r * cp * (1 - rz))
    b.constrain("read_buffer_below_end", args_r * cp * (0x0BFF - m.a_hi - u[0] - u[1] * 256))
    # write to the journal: nz = [n != 0], ok = buffer inside guest memory, cp = nz·ok.
    wj = op["args_wj"]
    hb, ok, nz, ninv = (c.hv("args_wj", n) for n in ("hb", "ok", "nz", "ninv"))
    b.constrain("wj_nz_if_nonzero", wj * (1 - nz) * (m.b_lo + m.b_hi))
    b.constrain("wj_nz_only_if_nonzero", wj * (nz - ninv * (m.b_lo + m.b_hi)))
    b.constrain("wj_end_beyond", wj * (hb * 2 - alu.tri1 * (3 - alu.tri1)))
    b.constrain("wj_ok", wj * (ok - (1 - alu.k1) * (1 - hb)))
    b.constrain("wj_cp", wj * (cp - nz * ok))
    # The first copy row starts at buf with everything left to copy.
    io = c.hv("io", "ptr"), c.hv("io", "left"), c.hv("io", "cn_lo"), c.hv("io", "cn_hi")
    ptr, left, cn_lo, cn_hi = io
    y_lo, y_hi = halves(c.y)
    b.constrain("start_ptr", copying * more * (ptr.next - m.a_lo - m.a_hi * 65536),
                when=TRANSITION)
    b.constrain("start_left", more * (args_r * (left.next - y_lo - y_hi * 65536)
                                      + wj * (left.next - m.b_lo - m.b_hi * 65536)),
                when=TRANSITION)
    b.constrain("start_n_lo", wj * more * (cn_lo.next - m.b_lo), when=TRANSITION)
    b.constrain("start_n_hi", wj * more * (cn_hi.next - m.b_hi), when=TRANSITION)


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
    b.constrain("io_w_carries_n_lo", op["io_w"] * more * (cn_lo.next - cn_lo), when=TRANSITION)
    b.constrain("io_w_carries_n_hi", op["io_w"] * more * (cn_hi.next - cn_hi), when=TRANSITION)
    # The journal.
    jpos = cpu.jpos
    b.constrain("jpos_first", jpos, when=FIRST)
    b.constrain("jpos_step", jpos.next - jpos - op["io_w"] * length, when=TRANSITION)
    b.constrain("jpos_last", jpos - publics["journal_len"], when=LAST)
    for k in range(4):
        b.send(JOURNAL_BUS, [jpos + k - offset, byte_of(y, k)], mult=op["io_w"] * masks[k],
               name=f"journal_byte{k}")


def x_definitions(c: Columns) -> list[tuple]:
    m, alu = c.mem, c.alu
    y_lo, y_hi = halves(c.y)
    cp = c.hv("args_r", "cp")
    return [
        (c.op["args_wj"], m.a_lo - 0x1000 + alu.k0 * 65536, m.a_hi - alu.k0 + alu.k1 * 65536),
        (c.op["args_r"] * cp, m.b_lo - y_lo + alu.k0 * 65536, m.b_hi - y_hi - alu.k0),
    ]


def y_definitions(c: Columns) -> list[tuple]:
    m, alu = c.mem, c.alu
    return [(c.op["args_wj"], m.a_lo + m.b_lo + 0xFFFF - alu.tri0 * 65536,
             m.a_hi + m.b_hi + 0xF3FF + alu.tri0 - alu.tri1 * 65536)]


def results(c: Columns) -> list[tuple]:
    x_lo, x_hi = halves(c.x)
    y_lo, y_hi = halves(c.y)
    u = c.u
    cp, nz = c.hv("args_wj", "cp"), c.hv("args_wj", "nz")
    more = c.hv("io", "more")
    return [
        (c.flags("other", "args_wn"), x_lo, x_hi),
        (c.op["args_r"], y_lo, y_hi),
        (c.op["args_wj"], (nz - cp) * (EFAULT_VALUE & 0xFFFF), (nz - cp) * (EFAULT_VALUE >> 16)),
        (c.op["io_r"], u[0] + u[1] * 256, u[2] + u[3] * 256),
        (c.op["io_w"] * (1 - more), c.hv("io", "cn_lo"), c.hv("io", "cn_hi")),
    ]


def ram_values(c: Columns) -> list[tuple]:
    x_lo, x_hi = halves(c.x)
    y_lo, y_hi = halves(c.y)
    return [(c.op["io_r"], x_lo, x_hi), (c.op["io_w"], y_lo, y_hi)]
