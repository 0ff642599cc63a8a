/* The SDK calls that need the C library: reading the whole input, formatted logging. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "zkwb.h"

void *zkwb_read_all(size_t *len)
{
    size_t capacity = 4096, used = 0;
    char *buf = malloc(capacity);
    while (buf != NULL) {
        /* Keep one byte spare for the terminator. */
        if (used + 1 == capacity) {
            char *bigger = realloc(buf, capacity * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            capacity *= 2;
        }
        size_t got = zkwb_read(buf + used, capacity - 1 - used);
        if (got == 0) {
            buf[used] = '\0';
            *len = used;
            return buf;
        }
        used += got;
    }
    *len = 0;
    return NULL;
}

void zkwb_logf(const char *format, ...)
{
    char small[256];
    va_list args;
    va_start(args, format);
    int needed = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (needed < 0)
        return;
    if ((size_t) needed < sizeof small) {
        zkwb_write_all(ZKWB_FD_LOG, small, (size_t) needed);
        return;
    }
    /* Too long for the stack buffer: format again into the heap, or log it truncated. */
    char *big = malloc((size_t) needed + 1);
    if (big == NULL) {
        zkwb_write_all(ZKWB_FD_LOG, small, sizeof small - 1);
        return;
    }
    va_start(args, format);
    vsnprintf(big, (size_t) needed + 1, format, args);
    va_end(args);
    zkwb_write_all(ZKWB_FD_LOG, big, (size_t) needed);
    free(big);
}
