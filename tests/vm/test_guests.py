"""The sample guests and the SDK, run in zkwb.

Each sample's journal is checked against a Python reference; the committed ELFs are
checked for the guest ABI (RV32IM without compressed instructions, code apart from
data, a symbol table) and against what the Makefile builds from the sources.
"""
from __future__ import annotations

import hashlib
import random
import struct

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.vm import execute, load_elf
from tests.vm.qemu import GUESTS_DIR, SAMPLES, assert_same_build, build_c, rebuild_guests

GUEST_MEMORY_START, GUEST_MEMORY_END = 0x1000, 0x0C00_0000
TEXT_START = 0x10000  # qemu-user maps nothing lower
PF_X, PF_W = 0x1, 0x2
FUZZ = settings(max_examples=30, deadline=None)


@pytest.fixture(scope="module")
def guests():
    return {name: load_elf(GUESTS_DIR / f"{name}.elf") for name in SAMPLES}


def run(guests, name: str, input_bytes: bytes = b""):
    return execute(guests[name], input_data=input_bytes)


# -- the committed ELFs follow the guest ABI


@pytest.mark.parametrize("name", SAMPLES)
def test_committed_guest_is_elf32_rv32im_without_compressed_instructions(name):
    header = (GUESTS_DIR / f"{name}.elf").read_bytes()[:52]
    assert header[:6] == b"\x7fELF\x01\x01"  # ELF32, little-endian
    e_type, e_machine = struct.unpack_from("<HH", header, 16)
    e_flags = struct.unpack_from("<I", header, 36)[0]
    assert (e_type, e_machine) == (2, 243)  # a static executable for RISC-V
    assert e_flags == 0  # no RVC, soft-float ABI


@pytest.mark.parametrize("name", SAMPLES)
def test_committed_guest_keeps_code_and_writable_data_apart(name):
    with open(GUESTS_DIR / f"{name}.elf", "rb") as f:
        elf = ELFFile(f)
        loads = [s.header for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"]
        assert elf.header.e_entry == TEXT_START
    code = [s for s in loads if s.p_flags & PF_X]
    assert len(code) == 1 and code[0].p_vaddr == TEXT_START
    assert not code[0].p_flags & PF_W
    for s in loads:
        assert GUEST_MEMORY_START <= s.p_vaddr and s.p_vaddr + s.p_memsz <= GUEST_MEMORY_END
        assert s.p_vaddr % 0x1000 == 0  # no two segments share a page


@pytest.mark.parametrize("name", SAMPLES)
def test_committed_guest_keeps_its_symbols_for_profiling(guests, name):
    names = {symbol.name for symbol in guests[name].symbols}
    assert {"_start", "main", "exit", "_exit"} <= names


# -- what each sample computes


def test_hello_echoes_its_input_and_greets_on_the_log(guests):
    result = run(guests, "hello", b"private bytes \x00\xff\n")
    assert result.exit_code == 0
    assert result.journal == b"private bytes \x00\xff\n"
    assert result.log == b"Hello from a zkwb guest! Echoing 17 bytes of input.\n"


@given(st.binary(max_size=20_000))
@FUZZ
def test_hello_journal_is_exactly_its_input(guests, data):
    assert run(guests, "hello", data).journal == data


def _fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 2**32
    return a


@pytest.mark.parametrize("n", [0, 1, 2, 10, 46, 47, 48, 93, 1000])
def test_fibonacci_journal_is_fib_n_mod_2_32(guests, n):
    result = run(guests, "fibonacci", f"{n}\n".encode())
    assert (result.exit_code, result.journal) == (0, f"{_fibonacci(n)}\n".encode())


@pytest.mark.parametrize("blank", [b"", b"  \n"])
def test_fibonacci_default_is_n_10(guests, blank):
    assert run(guests, "fibonacci", blank).journal == b"55\n"


@pytest.mark.parametrize("bad", [b"-1", b"ten", b"1 2", b"4294967296", b"1" * 100])
def test_fibonacci_rejects_input_that_is_not_one_u32(guests, bad):
    result = run(guests, "fibonacci", bad)
    assert (result.exit_code, result.journal) == (2, b"")
    assert result.log.startswith(b"fibonacci: ")


@pytest.mark.parametrize("length", [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 4096, 4097, 10_000])
def test_sha256_journal_is_the_hex_digest_like_sha256sum(guests, length):
    data = random.Random(length).randbytes(length)
    result = run(guests, "sha256", data)
    assert result.exit_code == 0
    assert result.journal == hashlib.sha256(data).hexdigest().encode() + b"\n"


int32s = st.integers(-2**31, 2**31 - 1)


@given(st.lists(int32s, max_size=300), st.sampled_from([" ", "\n", "\t", "  \r\n"]))
@FUZZ
def test_sort_journal_is_the_numbers_ascending_one_per_line(guests, numbers, separator):
    result = run(guests, "sort", separator.join(map(str, numbers)).encode())
    assert result.exit_code == 0
    assert result.journal == "".join(f"{n}\n" for n in sorted(numbers)).encode()


def test_sort_accepts_the_int32_extremes_and_a_plus_sign(guests):
    result = run(guests, "sort", b"2147483647 +5 -2147483648 0")
    assert result.journal == b"-2147483648\n0\n5\n2147483647\n"


@pytest.mark.parametrize("bad", [b"1 two 3", b"2147483648", b"-2147483649", b"--1", b"1-2", b"-"])
def test_sort_rejects_tokens_that_are_not_int32(guests, bad):
    result = run(guests, "sort", bad)
    assert (result.exit_code, result.journal) == (2, b"")
    assert result.log.startswith(b"sort: ")


def _primes_below(n: int) -> int:
    sieve = bytearray([1]) * max(n, 2)
    sieve[0] = sieve[1] = 0
    for p in range(2, int(n**0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytes(len(range(p * p, n, p)))
    return sum(sieve[:n])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 10, 100, 7919, 7920, 65536, 100_003])
def test_primes_journal_counts_the_primes_below_n(guests, n):
    result = run(guests, "primes", f" {n}\n".encode())
    assert (result.exit_code, result.journal) == (0, f"{_primes_below(n)}\n".encode())


def test_primes_default_is_a_run_of_millions_of_cycles(guests):
    result = run(guests, "primes")
    assert result.journal == b"78498\n"  # primes below 10^6
    assert 5_000_000 <= result.cycles <= 20_000_000


# -- the Makefile reproduces the committed ELFs


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """The samples built from a fresh copy of resources/guests (sources only)."""
    return rebuild_guests(tmp_path_factory.mktemp("rebuild"))


@pytest.mark.parametrize("name", SAMPLES)
def test_rebuilt_guest_behaves_like_the_committed_one(rebuilt, guests, name):
    program = load_elf(rebuilt / f"{name}.elf")
    for input_bytes in (b"", b"42\n", b"7 -3 5\n"):
        fresh = execute(program, input_data=input_bytes)
        committed = run(guests, name, input_bytes)
        assert (fresh.exit_code, fresh.journal, fresh.log) == \
            (committed.exit_code, committed.journal, committed.log)


@pytest.mark.parametrize("name", SAMPLES)
def test_rebuilt_guest_is_byte_identical_with_the_same_compiler(rebuilt, name):
    """Builds are reproducible: no paths, timestamps or debug info end up in the ELF.
    A different compiler version legitimately produces other code."""
    assert_same_build(rebuilt / f"{name}.elf", GUESTS_DIR / f"{name}.elf")


# -- the SDK's heap in zkwb


HEAP_PROGRAM = r"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    /* 64 MiB fits below the heap limit; 512 MiB is more than guest memory. */
    char *fits = malloc(64u << 20);
    printf("64 MiB: %s\n", fits != NULL && fits[(64u << 20) - 1] == 0 ? "ok" : "failed");
    free(fits);
    errno = 0;
    void *too_big = malloc(512u << 20);
    printf("512 MiB: %s, %s\n", too_big ? "allocated" : "NULL", errno == ENOMEM ? "ENOMEM" : "?");
    return 0;
}
"""


def test_malloc_fails_cleanly_past_the_end_of_guest_memory(tmp_path):
    """brk refuses to grow the heap past guest memory, so malloc returns NULL with
    ENOMEM. (Not compared with qemu, whose brk can grow into the host's memory.)"""
    result = execute(load_elf(build_c(HEAP_PROGRAM, tmp_path, "heap")))
    assert result.journal == b"64 MiB: ok\n512 MiB: NULL, ENOMEM\n"
