/*
 * Time in a zkwb guest: the cycle counter, read with rdcycle (docs/guest-abi.md,
 * "The cycle counter"). zkwb's counter is the number of rows the run executed, and the
 * circuit proves it, so a guest's clock is deterministic: the same program on the same
 * input reads the same times under `zkwb execute` and in every proof. The clock runs at a
 * nominal 1 MHz (one cycle is one microsecond, CLOCKS_PER_SEC is 1,000,000: clock()
 * returns the cycle count) and starts at the entry point, 1970-01-01 00:00:00 UTC.
 *
 * picolibc's clock() calls times() and its time() calls gettimeofday(); both are here,
 * with clock_gettime() and clock_getres() for POSIX code (declared in zkwb.h, since
 * picolibc declares them only for targets with POSIX timers). Under qemu-riscv32 the same
 * instructions read the host's counters (different on every run).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "zkwb.h"

/* The nominal frequency of the cycle counter. */
#define ZKWB_CYCLES_PER_SECOND 1000000u

clock_t times(struct tms *buf)
{
    clock_t now = (clock_t)zkwb_cycles();
    if (buf) {
        buf->tms_utime = now;
        buf->tms_stime = 0;
        buf->tms_cutime = 0;
        buf->tms_cstime = 0;
    }
    return now;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    if (tv) {
        uint64_t now = zkwb_cycles();
        tv->tv_sec = (time_t)(now / ZKWB_CYCLES_PER_SECOND);
        tv->tv_usec = (suseconds_t)(now % ZKWB_CYCLES_PER_SECOND);
    }
    return 0;
}

int clock_gettime(clockid_t clock_id, struct timespec *tp)
{
    (void)clock_id; /* every clock is the cycle counter */
    if (!tp) {
        errno = EFAULT;
        return -1;
    }
    uint64_t now = zkwb_cycles();
    tp->tv_sec = (time_t)(now / ZKWB_CYCLES_PER_SECOND);
    tp->tv_nsec = (long)(now % ZKWB_CYCLES_PER_SECOND) * (1000000000L / ZKWB_CYCLES_PER_SECOND);
    return 0;
}

int clock_getres(clockid_t clock_id, struct timespec *res)
{
    (void)clock_id;
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = 1000000000L / ZKWB_CYCLES_PER_SECOND;
    }
    return 0;
}
