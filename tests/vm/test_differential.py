"""zkwb runs guests exactly like the reference machine, qemu-riscv32.

The same ELF on the same private input (qemu's stdin) writes the same journal (stdout)
and the same log (stderr), and exits with the same code: qemu's exit status is the low
byte of zkwb's 32-bit exit code. This holds for every sample guest, for C programs that
exercise the SDK's C runtime, and for hundreds of random RV32IM programs whose register
files and data buffers are dumped and compared word for word.
"""
from __future__ import annotations

import random
import re

import pytest

from engine.errors import GuestFault
from engine.vm import execute, load_elf
from tests.vm import rvgen
from tests.vm.qemu import GUESTS_DIR, build_asm, build_c_programs, run_qemu

GENERATED_PROGRAMS = 240
SIGSEGV = 11


def _random_numbers(seed: int, count: int) -> bytes:
    rng = random.Random(seed)
    values = [rng.choice((-2**31, 2**31 - 1, 0, -1, rng.randrange(-2**31, 2**31)))
              for _ in range(count)]
    return " ".join(map(str, values)).encode() + b"\n"


SAMPLE_INPUTS: dict[str, list[bytes]] = {
    "hello": [b"", b"Hello, world!\n", bytes(range(256)) * 8],
    "fibonacci": [b"", b"0", b"1", b" 47\n", b"1000", b"-3", b"12 13", b"99999999999"],
    "sha256": [b"", b"abc", random.Random(55).randbytes(55), random.Random(64).randbytes(64),
               random.Random(10_000).randbytes(10_000)],
    "sort": [b"", b"3 -1 2\n", _random_numbers(1, 300), b"1 two 3", b"2147483648"],
    "primes": [b"", b"0", b"2", b"3", b"100", b"65536\n", b"ten"],
}


def _assert_same_run(elf, input_bytes: bytes) -> None:
    reference = run_qemu(elf, input_bytes)
    result = execute(load_elf(elf), input_data=input_bytes)
    assert result.journal == reference.stdout
    assert result.log == reference.stderr
    assert result.exit_code & 0xFF == reference.exit_code


@pytest.mark.parametrize("name,input_bytes", [
    pytest.param(name, data, id=f"{name}-{i}")
    for name, inputs in SAMPLE_INPUTS.items() for i, data in enumerate(inputs)])
def test_sample_guest_agrees_with_qemu(name, input_bytes):
    _assert_same_run(GUESTS_DIR / f"{name}.elf", input_bytes)


# -- the SDK's C runtime: stdio, malloc over brk, constructors, atexit, TLS errno, abort

RUNTIME_PROGRAM = r"""
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zkwb.h"

static int constructed;
__attribute__((constructor)) static void construct(void) { constructed = 42; }
static void at_exit(void) { zkwb_commit("atexit handler ran\n", 19); }

__attribute__((noinline)) static unsigned deep(unsigned n)
{
    volatile char frame[1024];
    frame[n % 1024] = (char) n;
    return n == 0 ? 0 : frame[n % 1024] + deep(n - 1);
}

int main(void)
{
    atexit(at_exit);
    printf("constructor set %d\n", constructed);

    unsigned sum = 0, count = 0;
    for (int c; (c = getchar()) != EOF; count++)
        sum += (unsigned) c;
    printf("input: %u bytes, byte sum %u\n", count, sum);

    /* malloc grows the heap through brk; every block must come back zeroed and
       hold what was written into it across realloc. */
    static const size_t sizes[] = {1, 24, 1000, 1 << 16, 1 << 18, 3};
    uint32_t check = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *block = malloc(sizes[i]);
        if (block == NULL)
            return 1;
        for (size_t j = 0; j < sizes[i]; j++) {
            check += block[j];
            block[j] = (unsigned char) (j * 7 + i);
        }
        block = realloc(block, sizes[i] * 2 + 5);
        for (size_t j = 0; j < sizes[i]; j++)
            check = check * 31 + block[j];
        free(block);
    }
    printf("heap checksum %08lx\n", (unsigned long) check);

    errno = 0;
    printf("strtol overflow sets errno: %d\n", strtol("99999999999", NULL, 10) == LONG_MAX && errno == ERANGE);

    /* memmove in both directions and memset/memcpy at every alignment. */
    char text[48];
    strcpy(text, "0123456789abcdefghijklmnopqrstuvwxyz");
    memmove(text + 3, text, 20);
    memmove(text + 25, text + 27, 7);
    memset(text + 1, '*', 5);
    memcpy(text + 10, "ABCDEFG", 7);
    printf("%s\n", text);

    printf("recursion over ~300 KiB of stack: %u\n", deep(300));
    zkwb_logf("formatted log: %d %s %x\n", -7, "str", 0xbeefu);
    fprintf(stderr, "stderr through stdio\n");
    return 7;
}
"""

ABORT_PROGRAM = r"""
#include <assert.h>
#include <stdlib.h>

#include "zkwb.h"

int main(void)
{
    char command = 0;
    zkwb_read(&command, 1);
    zkwb_commit("before\n", 7);
    if (command == 'a')
        abort();
    assert(command != 'f');
    if (command == 'x')
        zkwb_exit(300); /* exit codes are 32-bit in zkwb; qemu reports the low byte */
    return 0;
}
"""

STACK_OVERFLOW_PROGRAM = r"""
#include "zkwb.h"

__attribute__((noinline)) static unsigned recurse(unsigned n)
{
    volatile char frame[4096];
    frame[n % 4096] = (char) n;
    unsigned below = recurse(n + 1);
    return frame[n % 4096] + below;
}

int main(void)
{
    zkwb_commit("start\n", 6);
    return (int) recurse(0);
}
"""


@pytest.fixture(scope="module")
def runtime_programs(tmp_path_factory):
    return build_c_programs({"runtime": RUNTIME_PROGRAM, "aborts": ABORT_PROGRAM,
                             "overflows": STACK_OVERFLOW_PROGRAM},
                            tmp_path_factory.mktemp("runtime"))


@pytest.mark.parametrize("input_bytes", [b"", b"some private input\n"])
def test_sdk_c_runtime_agrees_with_qemu(runtime_programs, input_bytes):
    _assert_same_run(runtime_programs["runtime"], input_bytes)


def test_sdk_c_runtime_exit_code_and_streams(runtime_programs):
    result = execute(load_elf(runtime_programs["runtime"]), input_data=b"ab")
    assert result.exit_code == 7
    assert b"constructor set 42\n" in result.journal
    assert b"input: 2 bytes, byte sum 195\n" in result.journal
    assert result.journal.endswith(b"atexit handler ran\n")
    assert result.log == b"formatted log: -7 str beef\nstderr through stdio\n"


@pytest.mark.parametrize("command", [b"", b"a", b"f", b"x"], ids=["return", "abort", "assert", "exit-300"])
def test_abort_assert_and_exit_agree_with_qemu(runtime_programs, command):
    _assert_same_run(runtime_programs["aborts"], command)


def test_abort_exits_with_128_plus_sigabrt(runtime_programs):
    result = execute(load_elf(runtime_programs["aborts"]), input_data=b"a")
    assert result.exit_code == 128 + 6
    assert result.journal == b"before\n"


def test_exit_code_keeps_32_bits_in_zkwb(runtime_programs):
    assert execute(load_elf(runtime_programs["aborts"]), input_data=b"x").exit_code == 300


def test_stack_overflow_faults_in_both(runtime_programs):
    """The stack sits right above the code (link.ld), so overflowing it writes into the
    text segment: a fault in zkwb, a segmentation fault under qemu."""
    elf = runtime_programs["overflows"]
    reference = run_qemu(elf)
    assert reference.exit_code == -SIGSEGV
    with pytest.raises(GuestFault, match="executable segment") as fault:
        execute(load_elf(elf))
    assert fault.value.journal == reference.stdout == b"start\n"


# -- random RV32IM programs


@pytest.mark.parametrize("seed", range(GENERATED_PROGRAMS))
def test_random_program_agrees_with_qemu(seed, tmp_path):
    program = rvgen.generate(seed)
    elf = build_asm(program.source, tmp_path, f"rvgen{seed}")
    reference = run_qemu(elf)
    expected = rvgen.ProgramOutput.parse(reference.stdout)
    assert reference.exit_code == expected.exit_code & 0xFF, reference.stderr

    result = execute(load_elf(elf))
    actual = rvgen.ProgramOutput.parse(result.journal)
    difference = rvgen.first_difference(expected, actual)
    assert difference is None, (
        f"rvgen seed {seed}: {difference}; the program is "
        f"`python -c 'from tests.vm.rvgen import generate; print(generate({seed}).source)'`")
    assert result.exit_code == expected.exit_code
    assert result.log == reference.stderr == b""
    # Registers the epilogue leaves alone still hold the dumped values at exit.
    for r in range(rvgen.REGISTER_COUNT):
        if r not in rvgen.EPILOGUE_REGISTERS:
            assert int(result.registers[r]) == expected.registers[r], f"seed {seed}: x{r} at exit"


def test_generated_programs_are_reproducible_from_their_seed():
    assert rvgen.generate(12345) == rvgen.generate(12345)
    assert rvgen.generate(12345).source != rvgen.generate(12346).source


def test_generated_programs_cover_every_rv32im_instruction():
    mnemonics = set()
    for seed in range(GENERATED_PROGRAMS):
        mnemonics |= set(re.findall(r"^([a-z]+) ", rvgen.generate(seed).source, re.MULTILINE))
    rv32im = {*rvgen.REGISTER_OPS, *rvgen.IMMEDIATE_OPS, *rvgen.SHIFT_IMMEDIATE_OPS,
              "lui", "auipc", *rvgen.LOADS, *rvgen.STORES, *rvgen.BRANCHES, "jal", "jalr"}
    assert rv32im <= mnemonics
