"""The files ``zkwb new NAME`` writes (engine/cli/toolchain.py)."""
from __future__ import annotations

MAIN_C = r'''/* @NAME@: a zkwb guest. Its private input is stdin, its journal (public, proven)
 * is stdout, and stderr is the host log (shown, not proven). docs/writing-guests.md */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
    /* clock() counts the guest's cycles (a nominal 1 MHz, the same in every run). */
    clock_t start = clock();

    /* Read the whole private input with fread(stdin), growing a malloc'd buffer. */
    size_t cap = 256, len = 0, got;
    char *buf = malloc(cap + 1);
    if (!buf)
        return 3;
    while ((got = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger)
                return 3;
            buf = bigger;
            cap *= 2;
        }
    }
    buf[len] = '\0';

    /* The numbers in the input, their count and mean. */
    double sum = 0;
    int count = 0;
    char *p = buf, *end;
    for (double x = strtod(p, &end); end != p; x = strtod(p, &end)) {
        sum += x;
        count++;
        p = end;
    }
    fprintf(stderr, "read %zu bytes of private input in %ld cycles\n", len,
            (long)(clock() - start));
    printf("%d numbers, mean %f\n", count, count ? sum / count : 0.0);
    free(buf);
    return 0;
}
'''

MAKEFILE = '''# Builds @NAME@.elf, a zkwb guest: `make` (the same as `zkwb build`).
# zkwb cc is riscv64-unknown-elf-gcc with the zkwb SDK's flags and objects.
ZKWB    ?= @ZKWB@
CC      := $(ZKWB) cc
CFLAGS  ?= -O2 -Wall -Wextra
# Float printf (%f) is linked by default (about 10 KB more code than the integer-only
# one); `make LDFLAGS=-DPICOLIBC_INTEGER_PRINTF_SCANF` links the integer-only printf.
LDFLAGS ?=
SRCS    := $(wildcard *.c src/*.c)
OBJS    := $(SRCS:%.c=build/%.o)

@NAME@.elf: $(OBJS)
\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: %.c Makefile
\t@mkdir -p $(dir $@)
\t$(CC) $(CFLAGS) -c -o $@ $<

.PHONY: clean
clean:
\trm -rf build @NAME@.elf @NAME@.zkr
'''

README = '''# @NAME@

A zkwb guest: `main.c` reads the numbers of its private input (stdin) and writes their
count and mean to the journal (stdout).

    zkwb build                                     # or: make
    zkwb prove @NAME@.elf --input input.txt -o @NAME@.zkr
    zkwb verify @NAME@.zkr --elf @NAME@.elf

`zkwb execute @NAME@.elf --input input.txt` runs it without a proof, and
`qemu-riscv32 @NAME@.elf < input.txt` runs the same ELF under qemu. See
docs/writing-guests.md in zkwb.
'''


def files(name: str, zkwb: str) -> dict[str, str]:
    def fill(text: str) -> str:
        return text.replace("@NAME@", name).replace("@ZKWB@", zkwb)
    return {"main.c": fill(MAIN_C), "Makefile": fill(MAKEFILE.replace("\\t", "\t")),
            "README.md": fill(README), "input.txt": "1 2 3.5 4\n",
            ".gitignore": f"build/\n{name}.elf\n{name}.zkr\n"}
