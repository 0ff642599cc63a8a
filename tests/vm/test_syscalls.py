"""The guest ABI's syscalls: read, write, exit, brk and unknown numbers."""
from __future__ import annotations

import pytest

from engine.errors import CycleLimitExceeded, GuestFault, InputError
from engine.vm import execute, load_elf
from engine.vm.memory_map import HEAP_LIMIT, MAX_INPUT_BYTES
from tests.vm.asm import DATA_BASE, TEXT_BASE, Asm

EBADF, EFAULT, ENOSYS = 9, 14, 38
NEG = lambda e: (-e) & 0xFFFFFFFF


def run(prog: Asm, input_data: bytes = b"", **kw):
    return execute(load_elf(prog.elf()), input_data, **kw)


def data_program(size: int = 64) -> Asm:
    prog = Asm()
    prog.data += bytes(size)
    return prog


def test_read_then_echo_to_journal():
    prog = data_program()
    prog.syscall(63, 0, DATA_BASE, 64)
    prog.op("addi", 20, 10, 0)             # count read
    prog.li(10, 1)
    prog.li(11, DATA_BASE)
    prog.op("addi", 12, 20, 0)
    prog.li(17, 64)
    prog.ecall()
    prog.exit(20)
    result = run(prog, b"private bytes")
    assert result.journal == b"private bytes"
    assert result.exit_code == len(b"private bytes")


def test_partial_reads_return_what_is_left_then_zero():
    prog = data_program()
    prog.syscall(63, 0, DATA_BASE + 1, 3)   # unaligned destination, 3 of 5 bytes
    prog.op("addi", 20, 10, 0)
    prog.syscall(63, 0, DATA_BASE + 4, 10)  # only 2 remain
    prog.op("addi", 21, 10, 0)
    prog.syscall(63, 0, DATA_BASE + 8, 10)  # end of input: 0
    prog.op("addi", 22, 10, 0)
    prog.li(5, DATA_BASE)
    prog.op("lw", 23, 5, 0)
    prog.op("lw", 24, 5, 4)
    prog.exit(code=0)
    regs = run(prog, b"ABCDE").registers
    assert (regs[20], regs[21], regs[22]) == (3, 2, 0)
    assert regs[23] == int.from_bytes(b"\x00ABC", "little")
    assert regs[24] == int.from_bytes(b"DE\x00\x00", "little")


def test_read_of_zero_bytes_and_read_with_empty_input():
    prog = data_program()
    prog.syscall(63, 0, DATA_BASE, 0)
    prog.op("addi", 20, 10, 0)
    prog.syscall(63, 0, DATA_BASE, 16)
    prog.exit(code=0)
    regs = run(prog, b"").registers
    assert regs[20] == 0 and regs[10] == 0


def test_write_to_stderr_goes_to_the_log_not_the_journal():
    prog = data_program()
    prog.data[:6] = b"note!\n"
    prog.syscall(64, 2, DATA_BASE, 6)
    prog.op("addi", 20, 10, 0)
    prog.syscall(64, 1, DATA_BASE, 4)
    prog.exit(20)
    result = run(prog)
    assert result.log == b"note!\n"
    assert result.journal == b"note"
    assert result.exit_code == 6


def test_write_from_unaligned_buffer_spanning_words():
    prog = data_program()
    prog.data[:16] = bytes(range(65, 81))
    prog.syscall(64, 1, DATA_BASE + 3, 9)
    prog.exit(code=0)
    assert run(prog).journal == bytes(range(68, 77))


@pytest.mark.parametrize("number,fd", [(63, 1), (63, 2), (63, 3), (64, 0), (64, 3), (64, 0xFFFFFFFF)])
def test_bad_file_descriptors_return_ebadf(number, fd):
    prog = data_program()
    prog.syscall(number, fd, DATA_BASE, 4)
    prog.op("addi", 20, 10, 0)
    prog.exit(code=0)
    result = run(prog, b"abcd")
    assert result.registers[20] == NEG(EBADF)
    assert result.journal == b""


@pytest.mark.parametrize("number,fd,buf,n", [
    (63, 0, 0x10, 4),                 # below guest memory
    (63, 0, 0x0BFFFFFE, 4),           # runs past the end of guest memory
    (64, 1, 0x0BFFFFFE, 16),
    (64, 1, 0xFFFFFFF0, 0x20),        # wraps around
])
def test_buffers_outside_guest_memory_return_efault(number, fd, buf, n):
    prog = data_program()
    prog.syscall(number, fd, buf, n)
    prog.op("addi", 20, 10, 0)
    prog.exit(code=0)
    result = run(prog, b"abcdefgh")
    assert result.registers[20] == NEG(EFAULT)
    assert result.journal == b""


def test_read_into_code_is_a_fault_like_a_store_there():
    prog = data_program()
    prog.syscall(63, 0, TEXT_BASE, 4)
    prog.exit(code=0)
    with pytest.raises(GuestFault, match="read\\(\\) into the program's executable segment"):
        run(prog, b"abcdefgh")


def test_read_into_code_that_copies_nothing_returns_zero():
    prog = data_program()
    prog.syscall(63, 0, TEXT_BASE, 4)       # the input is empty: nothing is written
    prog.op("addi", 20, 10, 0)
    prog.exit(code=0)
    assert run(prog, b"").registers[20] == 0


def test_exit_code_is_a0_and_exit_group_works_too():
    for number in (93, 94):
        prog = Asm()
        prog.li(10, 0xDEADBEEF)
        prog.li(17, number)
        prog.ecall()
        prog.li(10, 1)                    # never reached
        result = run(prog)
        assert result.exit_code == 0xDEADBEEF


def test_brk_returns_current_break_grows_and_refuses():
    prog = data_program()
    prog.syscall(214, 0)                  # query
    prog.op("addi", 20, 10, 0)
    prog.op("addi", 10, 20, 0)
    prog.li(5, 0x10000)
    prog.op("add", 10, 10, 5)
    prog.li(17, 214)
    prog.ecall()                          # grow by 64 KiB
    prog.op("addi", 21, 10, 0)
    prog.syscall(214, HEAP_LIMIT + 4096)  # beyond the heap limit: refused
    prog.op("addi", 22, 10, 0)
    prog.syscall(214, 0x1000)             # below the heap start: refused
    prog.op("addi", 23, 10, 0)
    prog.li(5, 0x7F)                      # the grown heap is usable memory
    prog.store("sw", 5, 21, -4)
    prog.op("lw", 24, 21, -4)
    prog.exit(code=0)
    regs = run(prog).registers
    heap_start = DATA_BASE + 0x1000
    assert regs[20] == heap_start
    assert regs[21] == heap_start + 0x10000
    assert regs[22] == heap_start + 0x10000
    assert regs[23] == heap_start + 0x10000
    assert regs[24] == 0x7F


def test_unknown_syscall_returns_enosys_and_is_logged():
    prog = Asm()
    prog.syscall(1234, 0)
    prog.op("addi", 20, 10, 0)
    prog.exit(code=0)
    result = run(prog)
    assert result.registers[20] == NEG(ENOSYS)
    assert b"unknown syscall 1234" in result.log


def test_large_journal_grows_its_buffer():
    prog = Asm()
    prog.data += bytes(range(256)) * 256             # 64 KiB
    for _ in range(3):
        prog.syscall(64, 1, DATA_BASE, len(prog.data))
    prog.exit(code=0)
    result = run(prog)
    assert result.journal == bytes(prog.data) * 3


def test_runaway_guest_stops_at_the_cycle_limit():
    prog = Asm()
    prog.jal(0, 0)                        # jump to itself forever
    with pytest.raises(CycleLimitExceeded, match="--max-cycles") as info:
        run(prog, max_cycles=100_000)
    assert info.value.cycles == 100_000 and info.value.pc == TEXT_BASE


def test_fault_keeps_what_the_guest_wrote_before_it():
    prog = data_program()
    prog.data[:3] = b"abc"
    prog.syscall(64, 1, DATA_BASE, 3)
    prog.emit(0)
    with pytest.raises(GuestFault) as info:
        run(prog)
    assert info.value.journal == b"abc"


def test_oversized_input_is_refused_before_running():
    prog = Asm()
    prog.exit(code=0)
    with pytest.raises(InputError, match="MiB"):
        run(prog, bytes(MAX_INPUT_BYTES + 1))


def test_cancel_stops_a_long_run():
    from engine.errors import Cancelled
    prog = Asm()
    prog.jal(0, 0)
    seen = []
    with pytest.raises(Cancelled):
        run(prog, on_progress=seen.append, should_cancel=lambda: len(seen) >= 2)
    assert seen and seen[0] > 0
