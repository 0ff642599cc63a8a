/*
 * compress: LZSS-compresses the private input, decompresses the result and checks
 * that it round-trips: a long run of byte-level loads, stores and hash-table lookups.
 *
 * Private input: any bytes (the data to compress). Journal, one line of text:
 *     "<input length> <compressed length> <checksum> <round trip>\n"
 * lengths in decimal; checksum is 8 lowercase hex digits of FNV-1a-32 over the
 * compressed bytes (h = 0x811c9dc5, then h = (h ^ byte) * 0x01000193 mod 2^32);
 * round trip is 1 when decompressing gives back the input exactly. Exit code 0 when
 * it does, 1 when it does not (a bug), 3 when memory runs out.
 *
 * The compressed format (Okumura's LZSS): a flag byte, then up to 8 tokens, bit i of
 * the flag (least significant first) telling token i's kind. A literal is one byte; a
 * match is two bytes b0, b1 that copy length = (b1 & 15) + 3 bytes (3..18) from
 * distance = (b0 | (b1 >> 4) << 8) + 1 (1..4096) back in the output. The compressor
 * is greedy: at each position it follows a hash chain of the previous positions with
 * the same 3 bytes (at most MAX_CHAIN of them) and takes the longest match.
 * tests/guest_scripts.py generates text-like inputs; 256 KiB of it take about
 * 30 million cycles (tests/vm/test_long_guests.py records the exact counts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "zkwb.h"

#define WINDOW     4096u
#define MIN_MATCH  3u
#define MAX_MATCH  18u
#define HASH_BITS  12u
#define MAX_CHAIN  8u
#define NO_POSITION UINT32_MAX

static uint32_t head[1u << HASH_BITS];  /* the latest position with this hash */
static uint32_t chain[WINDOW];          /* chain[p % WINDOW]: the previous one */

static inline uint32_t hash3(const uint8_t *p)
{
    uint32_t v = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Records position pos (which has at least MIN_MATCH bytes after it) in its chain. */
static inline void insert(const uint8_t *in, uint32_t pos)
{
    uint32_t h = hash3(in + pos);
    chain[pos % WINDOW] = head[h];
    head[h] = pos;
}

/* Compresses in[0..n) into out (room for n + n / 8 + 1 bytes); returns the size. */
static size_t compress(const uint8_t *in, uint32_t n, uint8_t *out)
{
    for (uint32_t i = 0; i < (1u << HASH_BITS); i++)
        head[i] = NO_POSITION;
    size_t used = 0, flag_at = 0;
    unsigned tokens = 8;
    uint32_t pos = 0;
    while (pos < n) {
        if (tokens == 8) {
            flag_at = used++;
            out[flag_at] = 0;
            tokens = 0;
        }
        uint32_t best_length = 0, best_distance = 0;
        uint32_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
        if (limit >= MIN_MATCH) {
            uint32_t candidate = head[hash3(in + pos)];
            for (unsigned depth = 0; depth < MAX_CHAIN && candidate != NO_POSITION &&
                                     pos - candidate <= WINDOW; depth++) {
                uint32_t length = 0;
                while (length < limit && in[candidate + length] == in[pos + length])
                    length++;
                if (length > best_length) {
                    best_length = length;
                    best_distance = pos - candidate;
                    if (length == limit)
                        break;
                }
                uint32_t older = chain[candidate % WINDOW];
                if (older == NO_POSITION || older >= candidate)
                    break; /* the slot was reused by a newer position: the chain ends */
                candidate = older;
            }
        }
        if (best_length >= MIN_MATCH) {
            uint32_t d = best_distance - 1;
            out[flag_at] |= (uint8_t) (1u << tokens);
            out[used++] = (uint8_t) d;
            out[used++] = (uint8_t) ((d >> 8) << 4 | (best_length - MIN_MATCH));
            for (uint32_t end = pos + best_length; pos < end; pos++)
                if (n - pos >= MIN_MATCH)
                    insert(in, pos);
        } else {
            out[used++] = in[pos];
            if (n - pos >= MIN_MATCH)
                insert(in, pos);
            pos++;
        }
        tokens++;
    }
    return used;
}

/* Decompresses in[0..size) into out (room for capacity bytes); returns the length
   produced, or capacity + 1 if the stream is malformed or too long. */
static size_t decompress(const uint8_t *in, size_t size, uint8_t *out, size_t capacity)
{
    size_t at = 0, produced = 0;
    while (at < size) {
        unsigned flags = in[at++];
        for (unsigned t = 0; t < 8 && at < size; t++) {
            if (!(flags >> t & 1)) {
                if (produced == capacity)
                    return capacity + 1;
                out[produced++] = in[at++];
                continue;
            }
            if (size - at < 2)
                return capacity + 1;
            uint32_t distance = ((uint32_t) in[at] | (uint32_t) (in[at + 1] >> 4) << 8) + 1;
            uint32_t length = (in[at + 1] & 15u) + MIN_MATCH;
            at += 2;
            if (distance > produced || length > capacity - produced)
                return capacity + 1;
            for (uint32_t k = 0; k < length; k++, produced++)
                out[produced] = out[produced - distance];
        }
    }
    return produced;
}

static uint32_t fnv1a(const uint8_t *bytes, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ bytes[i]) * 0x01000193u;
    return h;
}

/* Whether a[0..n) == b[0..n): word by word (both blocks come from malloc, 8-aligned). */
static int same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    const uint32_t *wa = (const uint32_t *) a, *wb = (const uint32_t *) b;
    size_t words = n / 4;
    for (size_t i = 0; i < words; i++)
        if (wa[i] != wb[i])
            return 0;
    for (size_t i = 4 * words; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

int main(void)
{
    size_t n;
    uint8_t *input = zkwb_read_all(&n);
    uint8_t *packed = input == NULL ? NULL : malloc(n + n / 8 + 1);
    uint8_t *unpacked = packed == NULL ? NULL : malloc(n + 1);
    if (unpacked == NULL) {
        zkwb_log("compress: out of memory\n");
        return 3;
    }
    size_t packed_size = compress(input, (uint32_t) n, packed);
    size_t unpacked_size = decompress(packed, packed_size, unpacked, n);
    int round_trip = unpacked_size == n && same_bytes(input, unpacked, n);
    char line[48];
    int used = snprintf(line, sizeof line, "%u %u %08lx %d\n", (unsigned) n,
                        (unsigned) packed_size, (unsigned long) fnv1a(packed, packed_size),
                        round_trip);
    zkwb_commit(line, (size_t) used);
    if (!round_trip)
        zkwb_log("compress: decompressing did not give back the input\n");
    return round_trip ? 0 : 1;
}
