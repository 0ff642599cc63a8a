/*
 * primes: counts the primes below N with a sieve of Eratosthenes. Input is N as
 * decimal text (surrounding whitespace allowed); empty or blank input means
 * N = 1000000, a run of about 7.5 million cycles. The journal is the count in
 * decimal followed by "\n" ("78498\n" for the default). Malformed input: a message on
 * the log, exit code 2, empty journal; a sieve too large for memory: exit code 3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zkwb.h"

#define DEFAULT_LIMIT 1000000u

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Parses optional whitespace, decimal digits, optional whitespace; 0 if malformed. */
static int parse_limit(const char *text, size_t len, uint32_t *limit)
{
    size_t i = 0;
    while (i < len && is_space(text[i]))
        i++;
    if (i == len) {
        *limit = DEFAULT_LIMIT;
        return 1;
    }
    size_t first_digit = i;
    uint64_t v = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        v = v * 10 + (uint64_t) (text[i] - '0');
        if (v > UINT32_MAX)
            return 0;
        i++;
    }
    while (i < len && is_space(text[i]))
        i++;
    *limit = (uint32_t) v;
    return i > first_digit && i == len;
}

/* Number of primes p < limit; -1 if the sieve does not fit in memory. */
static int64_t count_primes_below(uint32_t limit)
{
    if (limit < 3)
        return 0;
    /* composite[i] for the odd number 2i + 1; even numbers above 2 are never prime. */
    uint32_t odd_count = limit / 2;
    uint8_t *composite = calloc(odd_count, 1);
    if (composite == NULL)
        return -1;
    for (uint32_t i = 1; (2 * i + 1) * (2 * i + 1) < limit; i++) {
        if (composite[i])
            continue;
        uint32_t p = 2 * i + 1;
        for (uint32_t j = (p * p) / 2; j < odd_count; j += p)
            composite[j] = 1;
    }
    int64_t count = 1; /* 2 */
    for (uint32_t i = 1; i < odd_count; i++)
        count += !composite[i];
    free(composite);
    return count;
}

int main(void)
{
    char input[64];
    size_t len = zkwb_read_exact(input, sizeof input);
    char extra;
    uint32_t limit;
    if ((len == sizeof input && zkwb_read(&extra, 1) != 0) || !parse_limit(input, len, &limit)) {
        zkwb_log("primes: input must be a decimal number below 2^32\n");
        return 2;
    }
    int64_t count = count_primes_below(limit);
    if (count < 0) {
        zkwb_log("primes: not enough memory for the sieve\n");
        return 3;
    }
    char text[12];
    size_t at = sizeof text;
    text[--at] = '\n';
    do {
        text[--at] = (char) ('0' + count % 10);
        count /= 10;
    } while (count != 0);
    zkwb_commit(text + at, sizeof text - at);
    return 0;
}
