"""Dishonest syscall results: every value a syscall returns is determined.

The review that found these: a free ``brk`` answer let ``malloc`` hand out memory over
``.rodata`` (a valid receipt of an unsorted ``sort``), a free ``read`` count let
``read(0, buf, 4); exit(a0)`` claim exit code 1000. Each attack here is a consistent
change (the value handed down the register's chain of accesses, the helper columns an
attacker would adjust), named by the row checker at the row that made the value and
rejected by the verifier of a proof made with every prover-side check off
(``assert_rejected``). ``test_every_observable_syscall_value_is_determined`` walks
every syscall row of a program that takes every syscall path.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.circuit.columns import HELPERS
from engine.circuit.image import MachineImage
from engine.segments.witness import generate_witness
from engine.vm import execute, load_elf
from engine.vm.memory_map import HEAP_LIMIT
from tests.circuit import programs
from tests.circuit.support import Edit, asm_witness, failed_constraints
from tests.circuit.test_dishonest import assert_rejected
from tests.vm.asm import DATA_BASE, Asm

NEG1 = 0xFFFF_FFFF
ENOSYS, EBADF, EFAULT = (-38) & NEG1, (-9) & NEG1, (-14) & NEG1


def h(kind: str, name: str) -> str:
    return f"alu.h{HELPERS[kind][name]}"


def failing_at(report, row: int) -> set[str]:
    return {f.constraint for f in report.failures if f.row == row}


def syscall_then_exit(number: int, *args: int, data: bytes = b"", size: int = 64) -> Asm:
    """One syscall, its a0 overwritten by the exit code (so the attack changes only the
    syscall's result and the chain of a0 up to that overwrite)."""
    prog = Asm()
    prog.data += data or bytes(size)
    prog.syscall(number, *args)
    prog.exit(code=0)
    return prog


def result_row(edit: Edit, flag: str, index: int = 0) -> int:
    """The row that writes a0 for the ``index``-th syscall of kind ``flag``."""
    row = int(edit.rows_of(flag)[index])
    while not edit[("cpu.wr", row)]:
        row += 1
    return row


# --- brk ------------------------------------------------------------------------------------

def brk_program(*requests: int) -> Asm:
    prog = Asm()
    prog.data += bytes(64)
    for address in requests:
        prog.syscall(214, address)
    prog.exit(code=0)
    return prog


def test_brk_answer_with_a_moved_heap_start_is_rejected():
    """The attack of the review: a run whose heap starts inside the program's data, claimed
    for the honest image (its heap start is in the image ID, so in the public values)."""
    prog = brk_program(0)
    honest = load_elf(prog.elf())
    moved = dataclasses.replace(honest, heap_start=DATA_BASE)
    run = execute(moved, record_trace=True)
    witness = generate_witness(MachineImage.from_program(moved), run,
                               rng=np.random.default_rng(3))
    edit = Edit(witness)
    assert edit.value("mem.c", result_row(edit, "brk")) == DATA_BASE
    image = MachineImage.from_program(honest)
    edit.publics["heap_lo"], edit.publics["heap_hi"] = (image.heap_start & 0xFFFF,
                                                        image.heap_start >> 16)
    report = assert_rejected(edit, row=0)
    assert {"sys.brk_first_lo", "sys.brk_first_hi"} & failed_constraints(report)


def test_brk_answered_with_another_address_is_rejected():
    edit = Edit(asm_witness(brk_program(0)))
    row = result_row(edit, "brk")
    edit.set_register_result(row, DATA_BASE)              # brk(0) "returns" .data
    assert_rejected(edit, constraint="def.rd_lo", row=row)


def test_brk_beyond_the_limit_claimed_accepted_is_rejected():
    edit = Edit(asm_witness(brk_program(HEAP_LIMIT + 0x1000, 0)))
    row = result_row(edit, "brk")
    request = HEAP_LIMIT + 0x1000
    edit[(h("brk", "ok"), row)] = 1                       # accepted ...
    edit.set_register_result(row, request)                # ... and the break moves there
    for r in range(row + 1, edit.witness.shape.real_rows):
        edit.set_value("cpu.brk", r, request)
    edit.set_register_result(result_row(edit, "brk", 1), request)
    assert_rejected(edit, constraint="sys.brk_ok", row=row)


def test_brk_below_the_heap_start_claimed_accepted_is_rejected():
    edit = Edit(asm_witness(brk_program(0x2000)))
    row = result_row(edit, "brk")
    edit[(h("brk", "ok"), row)] = 1
    edit.set_register_result(row, 0x2000)
    for r in range(row + 1, edit.witness.shape.real_rows):
        edit.set_value("cpu.brk", r, 0x2000)
    assert_rejected(edit, constraint="sys.brk_ok", row=row)


def test_brk_that_shrinks_the_break_behind_the_guests_back_is_rejected():
    """brk(start + 64 KiB), then brk(0) answered with the heap start: the break kept."""
    start = load_elf(brk_program(0).elf()).heap_start
    edit = Edit(asm_witness(brk_program(start + 0x10000, 0)))
    row = result_row(edit, "brk", 1)
    assert edit.value("mem.c", row) == start + 0x10000
    edit.set_value("cpu.brk", row, start)                 # the break on that row ...
    for r in range(row + 1, edit.witness.shape.real_rows):
        edit.set_value("cpu.brk", r, start)
    edit.set_register_result(row, start)                  # ... and the answer
    assert_rejected(edit, constraint="sys.brk_step_hi", row=row - 1)


# --- read -----------------------------------------------------------------------------------

def read_program(n: int, reads: int = 1) -> Asm:
    prog = Asm()
    prog.data += bytes(64)
    for _ in range(reads):
        prog.syscall(63, 0, DATA_BASE, n)
    prog.exit(code=0)
    return prog


def claim_count(edit: Edit, args: int, count: int) -> None:
    """Rewrite a read's count as an attacker would: the count columns, the bytes left
    for the copy rows, and the a0 the last copy row writes."""
    edit[(h("args_r", "cnt_lo"), args)] = count & 0xFFFF
    edit[(h("args_r", "cnt_hi"), args)] = count >> 16
    edit[(h("io", "left"), args + 1)] = count
    edit[(h("io", "cn_lo"), args + 1)] = count
    last = args + 1
    while edit[(h("io", "more"), last)]:
        last += 1
        edit[(h("io", "cn_lo"), last)] = count
    edit.set_register_result(last, count)


def test_read_count_larger_than_n_is_rejected():
    """read(0, buf, 4) with plenty of input claiming 1000: the attack of the review."""
    edit = Edit(asm_witness(read_program(4), b"abcdefgh"))
    args = int(edit.rows_of("args_r")[0])
    claim_count(edit, args, 1000)
    assert_rejected(edit, constraint="sys.read_count_lo", row=args)


def test_read_count_larger_than_the_input_left_is_rejected():
    """Two reads of 4 from 6 bytes: the second returns 2, not 4."""
    edit = Edit(asm_witness(read_program(4, reads=2), b"abcdef"))
    args = int(edit.rows_of("args_r")[1])
    assert edit[(h("args_r", "cnt_lo"), args)] == 2
    claim_count(edit, args, 4)
    assert_rejected(edit, constraint="sys.read_count_lo", row=args)


def test_read_count_smaller_than_both_is_rejected():
    edit = Edit(asm_witness(read_program(4), b"abcdefgh"))
    args = int(edit.rows_of("args_r")[0])
    claim_count(edit, args, 2)
    assert_rejected(edit, constraint="sys.read_count_lo", row=args)


def test_read_count_that_differs_from_the_bytes_copied_is_rejected():
    """The count columns say 4, the copy rows move 3 bytes and a0 says 3."""
    edit = Edit(asm_witness(read_program(4), b"abcdefgh"))
    args = int(edit.rows_of("args_r")[0])
    io = args + 1
    edit[(h("io", "left"), io)] = 3
    edit[(h("io", "f3"), io)], edit[(h("io", "f2"), io)] = 0, 1
    edit[(h("io", "cn_lo"), io)] = 3
    edit.set_register_result(io, 3)
    assert_rejected(edit, constraint="sys.start_left", row=args)


def test_read_claiming_more_input_than_the_run_was_given_is_rejected():
    """After the input ran out (a read returned 0), a later read finds more: the input
    left would have to grow."""
    edit = Edit(asm_witness(read_program(4, reads=3), b"abcd"))
    args = int(edit.rows_of("args_r")[2])
    assert edit[("cpu.ileft", args)] == 0
    edit[("cpu.ileft", args)] = 4                          # 4 bytes "left" again
    edit[("alu.u0", args)] = 4
    assert_rejected(edit, constraint="sys.ileft_step", row=args - 1)


def test_input_left_that_wraps_around_the_field_is_rejected():
    """``left`` as bytes with a top byte of 64 or more could equal ``p + true left``."""
    edit = Edit(asm_witness(read_program(4), b"abcdefgh"))
    args = int(edit.rows_of("args_r")[0])
    edit[("alu.u3", args)] = 0x78                         # 0x78 << 24 > p
    edit[("alu.u4", args)] = 0x78 * 4                     # not a byte: claimed anyway
    report = assert_rejected(edit, row=args)
    assert "sys.read_left" in failed_constraints(report)


def test_read_from_another_fd_returning_data_is_rejected():
    prog = syscall_then_exit(63, 3, DATA_BASE, 4)
    edit = Edit(asm_witness(prog, b"data"))
    row = result_row(edit, "args_r")
    assert edit.value("mem.c", row) == EBADF
    edit.set_register_result(row, 0)                      # "end of input"
    assert_rejected(edit, constraint="def.rd_lo", row=row)


def test_read_of_fd_zero_claimed_as_a_bad_fd_is_rejected():
    edit = Edit(asm_witness(syscall_then_exit(63, 0, DATA_BASE, 0), b"data"))
    ecall = int(edit.rows_of("read")[0])
    edit[(h("read", "z0"), ecall)] = 0                    # fd 0 "is not 0"
    edit[(h("args_r", "rz"), ecall + 1)] = 0
    edit.set_register_result(ecall + 1, EBADF)
    assert_rejected(edit, constraint="sys.read_fd_nonzero", row=ecall)


# --- write, unknown syscalls ----------------------------------------------------------------

@pytest.mark.parametrize("fd,honest,claimed", [(2, 5, 0), (7, EBADF, 5), (2, 5, EBADF)])
def test_write_to_another_fd_with_another_result_is_rejected(fd, honest, claimed):
    edit = Edit(asm_witness(syscall_then_exit(64, fd, DATA_BASE, 5)))
    row = result_row(edit, "args_wn")
    assert edit.value("mem.c", row) == honest
    edit.set_register_result(row, claimed)
    assert_rejected(edit, constraint="def.rd_lo", row=row)


def test_write_to_a_bad_fd_claimed_as_the_log_is_rejected():
    edit = Edit(asm_witness(syscall_then_exit(64, 7, DATA_BASE, 5)))
    ecall = int(edit.rows_of("write")[0])
    edit[(h("write", "j2"), ecall)] = 1                   # fd 7 "is 2" ...
    edit[(h("args_wn", "lg"), ecall + 1)] = 1
    edit[(h("args_wn", "g"), ecall + 1)] = 1
    edit.set_register_result(ecall + 1, 5)                # ... so write returns n
    assert_rejected(edit, constraint="sys.write_fd_two_lo", row=ecall)


@pytest.mark.parametrize("number", [4242, 214 + (1 << 16), 63 + (1 << 16)])
def test_unknown_syscall_with_another_result_is_rejected(number):
    edit = Edit(asm_witness(syscall_then_exit(number, 1)))
    row = result_row(edit, "other")
    assert edit.value("mem.c", row) == ENOSYS
    edit.set_register_result(row, 1000)
    assert_rejected(edit, constraint="def.rd_lo", row=row)


def test_unknown_syscall_claimed_as_brk_is_rejected():
    edit = Edit(asm_witness(syscall_then_exit(4242, 0)))
    row = int(edit.rows_of("other")[0])
    edit.set_flag(row, "brk")
    assert_rejected(edit, constraint="sys.a7_lo", row=row)


# --- the walk: nothing a guest can observe is left free -------------------------------------

SYSCALL_FLAGS = ("read", "write", "brk", "other", "args_r", "args_wj", "args_wn", "io_r",
                 "io_w")


@pytest.fixture(scope="module")
def every_path():
    prog = Asm()
    programs.syscalls(prog)
    prog.exit(code=0)
    return asm_witness(prog, b"input bytes for the reads!!")


def test_every_observable_syscall_value_is_determined(every_path):
    """For each syscall row: another a0, another pc after it, another unmasked byte of a
    word a read writes, another break or input left after it — each, handed on as an
    attacker would, fails at that row (two witnesses differing in only that value
    cannot both satisfy the AIR)."""
    base = Edit(every_path)
    seen, checked = set(), 0
    for flag in SYSCALL_FLAGS:
        for row in base.rows_of(flag).tolist():
            seen.add(flag)
            for change in _observable_changes(base, flag, row):
                edit = Edit(every_path)
                where = change(edit)
                report = edit.check()
                assert failing_at(report, where), \
                    f"{flag} row {row}: a changed value passes ({change.__doc__})"
                checked += 1
    assert seen == set(SYSCALL_FLAGS)
    assert checked > 100


def _observable_changes(base: Edit, flag: str, row: int):
    changes = []
    if base[("cpu.wr", row)]:
        def a0(edit, row=row):
            """a0"""
            edit.set_register_result(row, (edit.value("mem.c", row) + 1) & NEG1)
            return row
        changes.append(a0)

    def next_pc(edit, row=row):
        """the next pc"""
        for r in range(row + 1, edit.witness.shape.real_rows):
            edit[("cpu.pc", r)] = edit[("cpu.pc", r)] + 4
        return row
    if flag != "exit":
        changes.append(next_pc)
    for state in ("cpu.brk_lo", "cpu.ileft", "cpu.jpos"):
        def carried(edit, row=row, state=state):
            """a carried state"""
            for r in range(row + 1, edit.witness.shape.real_rows):
                edit[(state, r)] = edit[(state, r)] + 1
            return row
        carried.__doc__ = state
        changes.append(carried)
    if flag == "io_r":
        mask = _copied_bytes(base, row)
        for k in range(4):
            if mask >> k & 1:
                continue

            def kept_byte(edit, row=row, k=k):
                """a byte of the word outside the copied window"""
                word = edit.value("mem.n", row) ^ (1 << (8 * k))
                edit.set_value("mem.n", row, word)
                edit.set_bits("x", row, word)
                return row
            changes.append(kept_byte)
    return changes


def _copied_bytes(edit: Edit, row: int) -> int:
    e = [edit[(h("io", f"e{k}"), row)] for k in range(4)]
    f = [edit[(h("io", f"f{k}"), row)] for k in range(4)]
    first, last = e.index(1), f.index(1)
    return sum(1 << k for k in range(first, last + 1))
