/*
 * memcpy, memmove and memset a word at a time. picolibc's rv32im build is optimised
 * for size and copies one byte per iteration (4-6 cycles a byte); its malloc also
 * clears every block it returns with memset. Every cycle is proven, so these
 * replacements, which run at about a quarter of that, matter.
 *
 * Word accesses are only made at 4-byte aligned addresses: a misaligned lw/sw faults
 * in zkwb. Built with -fno-tree-loop-distribute-patterns (see the Makefile) so that
 * GCC does not turn these loops back into calls to themselves.
 */
#include <stdint.h>
#include <string.h>

typedef uint32_t __attribute__((may_alias)) word_t;

void *memset(void *dest, int c, size_t n)
{
    unsigned char *d = dest;
    unsigned char byte = (unsigned char) c;
    while (n > 0 && ((uintptr_t) d & 3) != 0) {
        *d++ = byte;
        n--;
    }
    word_t *w = (word_t *) d;
    word_t pattern = byte * 0x01010101u;
    for (; n >= 16; n -= 16, w += 4) {
        w[0] = pattern;
        w[1] = pattern;
        w[2] = pattern;
        w[3] = pattern;
    }
    for (; n >= 4; n -= 4)
        *w++ = pattern;
    d = (unsigned char *) w;
    while (n-- > 0)
        *d++ = byte;
    return dest;
}

static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    if ((((uintptr_t) d ^ (uintptr_t) s) & 3) == 0) {
        while (n > 0 && ((uintptr_t) d & 3) != 0) {
            *d++ = *s++;
            n--;
        }
        word_t *wd = (word_t *) d;
        const word_t *ws = (const word_t *) s;
        for (; n >= 16; n -= 16, wd += 4, ws += 4) {
            word_t a = ws[0], b = ws[1], c = ws[2], e = ws[3];
            wd[0] = a;
            wd[1] = b;
            wd[2] = c;
            wd[3] = e;
        }
        for (; n >= 4; n -= 4)
            *wd++ = *ws++;
        d = (unsigned char *) wd;
        s = (const unsigned char *) ws;
    }
    while (n-- > 0)
        *d++ = *s++;
}

static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if ((((uintptr_t) d ^ (uintptr_t) s) & 3) == 0) {
        while (n > 0 && ((uintptr_t) d & 3) != 0) {
            *--d = *--s;
            n--;
        }
        word_t *wd = (word_t *) d;
        const word_t *ws = (const word_t *) s;
        for (; n >= 4; n -= 4)
            *--wd = *--ws;
        d = (unsigned char *) wd;
        s = (const unsigned char *) ws;
    }
    while (n-- > 0)
        *--d = *--s;
}

void *memcpy(void *restrict dest, const void *restrict src, size_t n)
{
    copy_forward(dest, src, n);
    return dest;
}

void *memmove(void *dest, const void *src, size_t n)
{
    if ((uintptr_t) dest - (uintptr_t) src >= n)
        copy_forward(dest, src, n); /* dest is below src or past its end */
    else
        copy_backward(dest, src, n);
    return dest;
}
