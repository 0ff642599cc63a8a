/*
 * sort: input is signed 32-bit integers as decimal text separated by whitespace
 * (e.g. "3 -1 2\n"). The journal is the same numbers in ascending order, one per line
 * ("-1\n2\n3\n"): what `sort -n` prints for one number per line. Empty input gives an
 * empty journal. A token that is not a decimal int32: a message on the log, exit code
 * 2 and an empty journal.
 *
 * The numbers are parsed into a malloc'd array and sorted with a bottom-up merge sort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zkwb.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

struct numbers {
    int32_t *items;
    size_t count, capacity;
};

static int append(struct numbers *list, int32_t value)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 64;
        int32_t *items = realloc(list->items, capacity * sizeof *items);
        if (items == NULL)
            return 0;
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = value;
    return 1;
}

/* Parses text into list; returns 0 with a message on the log if it is malformed. */
static int parse(const char *text, size_t len, struct numbers *list)
{
    size_t i = 0;
    for (;;) {
        while (i < len && is_space(text[i]))
            i++;
        if (i == len)
            return 1;
        int negative = text[i] == '-';
        if (negative || text[i] == '+')
            i++;
        size_t first_digit = i;
        int64_t magnitude = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            magnitude = magnitude * 10 + (text[i] - '0');
            if (magnitude > (int64_t) INT32_MAX + 1)
                break;
            i++;
        }
        int64_t value = negative ? -magnitude : magnitude;
        if (i == first_digit || (i < len && !is_space(text[i])) || value > INT32_MAX ||
            value < INT32_MIN) {
            zkwb_log("sort: input must be decimal 32-bit integers separated by whitespace\n");
            return 0;
        }
        if (!append(list, (int32_t) value)) {
            zkwb_log("sort: out of memory\n");
            return 0;
        }
    }
}

/* Bottom-up merge sort: stable, O(n log n), one scratch buffer of n items. */
static int merge_sort(int32_t *items, size_t count)
{
    int32_t *scratch = malloc(count * sizeof *scratch + 1);
    if (scratch == NULL)
        return 0;
    int32_t *from = items, *to = scratch;
    for (size_t width = 1; width < count; width *= 2) {
        for (size_t left = 0; left < count; left += 2 * width) {
            size_t mid = left + width < count ? left + width : count;
            size_t right = left + 2 * width < count ? left + 2 * width : count;
            size_t i = left, j = mid, k = left;
            while (i < mid && j < right)
                to[k++] = from[j] < from[i] ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < right)
                to[k++] = from[j++];
        }
        int32_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != items)
        memcpy(items, from, count * sizeof *items);
    free(scratch);
    return 1;
}

/* Formats value in decimal plus "\n" at out; returns the length (at most 12). */
static size_t format_line(int32_t value, char *out)
{
    char digits[10];
    size_t n = 0;
    uint32_t magnitude = value < 0 ? 0u - (uint32_t) value : (uint32_t) value;
    do {
        digits[n++] = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    size_t len = 0;
    if (value < 0)
        out[len++] = '-';
    while (n > 0)
        out[len++] = digits[--n];
    out[len++] = '\n';
    return len;
}

int main(void)
{
    size_t len;
    char *text = zkwb_read_all(&len);
    if (text == NULL) {
        zkwb_log("sort: out of memory\n");
        return 3;
    }
    struct numbers list = {0};
    if (!parse(text, len, &list))
        return 2;
    free(text);
    if (!merge_sort(list.items, list.count)) {
        zkwb_log("sort: out of memory\n");
        return 3;
    }

    /* Commit in batches: one write syscall per 4 KiB rather than per number. */
    char out[4096];
    size_t used = 0;
    for (size_t i = 0; i < list.count; i++) {
        if (used > sizeof out - 12) {
            zkwb_commit(out, used);
            used = 0;
        }
        used += format_line(list.items[i], out + used);
    }
    zkwb_commit(out, used);
    free(list.items);
    return 0;
}
