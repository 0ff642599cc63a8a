/*
 * fibonacci: input is n as decimal text (surrounding whitespace allowed; empty or blank
 * input means n = 10). The journal is fib(n) mod 2^32 in decimal followed by "\n", with
 * fib(0) = 0 and fib(1) = 1. Anything else as input: a message on the log, exit code
 * 2 and an empty journal.
 */
#include <stdint.h>

#include "zkwb.h"

#define DEFAULT_N 10u

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(text[i]))
            return 0;
    return 1;
}

/* Parses "   123  " into *value; returns 0 if the text is not one decimal u32. */
static int parse_u32(const char *text, size_t len, uint32_t *value)
{
    size_t i = 0;
    while (i < len && is_space(text[i]))
        i++;
    size_t first_digit = i;
    uint64_t v = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        v = v * 10 + (uint64_t) (text[i] - '0');
        if (v > UINT32_MAX)
            return 0;
        i++;
    }
    if (i == first_digit)
        return 0;
    while (i < len && is_space(text[i]))
        i++;
    *value = (uint32_t) v;
    return i == len;
}

static uint32_t fibonacci(uint32_t n)
{
    uint32_t a = 0, b = 1; /* fib(k), fib(k + 1), wrapping mod 2^32 */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t next = a + b;
        a = b;
        b = next;
    }
    return a;
}

/* Writes value in decimal plus "\n" to the journal. */
static void commit_decimal_line(uint32_t value)
{
    char text[11];
    size_t at = sizeof text;
    text[--at] = '\n';
    do {
        text[--at] = (char) ('0' + value % 10);
        value /= 10;
    } while (value != 0);
    zkwb_commit(text + at, sizeof text - at);
}

int main(void)
{
    char input[64];
    size_t len = zkwb_read_exact(input, sizeof input);
    char extra;
    if (len == sizeof input && zkwb_read(&extra, 1) != 0) {
        zkwb_log("fibonacci: input too long for a decimal number\n");
        return 2;
    }
    uint32_t n = DEFAULT_N;
    if (!is_blank(input, len) && !parse_u32(input, len, &n)) {
        zkwb_log("fibonacci: input must be a decimal number below 2^32\n");
        return 2;
    }
    commit_decimal_line(fibonacci(n));
    return 0;
}
