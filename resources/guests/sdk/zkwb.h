/*
 * zkwb.h: the guest side of the ZK Workbench ABI (see docs/guest-abi.md).
 *
 * A guest reads its private input, writes its public journal and halts with an exit
 * code. The calls are Linux's RISC-V syscalls, so the same ELF runs under zkwb and
 * under qemu-riscv32 (stdin = private input, stdout = journal, stderr = host log).
 *
 * The raw ecall wrappers are inline here; zkwb_read_all and zkwb_logf live in
 * zkwb.c because they need malloc and vsnprintf.
 */
#ifndef ZKWB_H
#define ZKWB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Syscall numbers (a7): Linux's generic table, which RISC-V uses. */
#define ZKWB_SYS_READ       63
#define ZKWB_SYS_WRITE      64
#define ZKWB_SYS_EXIT       93
#define ZKWB_SYS_EXIT_GROUP 94
#define ZKWB_SYS_BRK        214

/* File descriptors. */
#define ZKWB_FD_INPUT   0 /* private input: read only */
#define ZKWB_FD_JOURNAL 1 /* public journal: part of the proven claim */
#define ZKWB_FD_LOG     2 /* host log: shown to the user, not proven */

/* One syscall with up to three arguments; returns a0 (negative errno on failure). */
static inline long zkwb_syscall(long number, long arg0, long arg1, long arg2)
{
    register long a0 __asm__("a0") = arg0;
    register long a1 __asm__("a1") = arg1;
    register long a2 __asm__("a2") = arg2;
    register long a7 __asm__("a7") = number;
    /* "memory": the host reads and writes guest buffers behind the compiler's back. */
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/*
 * Reads up to n bytes of the private input into buf with one read syscall and
 * returns how many it got; 0 means the input is exhausted. Under qemu a pipe may
 * deliver fewer bytes than asked before the end: use zkwb_read_exact to fill a
 * buffer.
 */
static inline size_t zkwb_read(void *buf, size_t n)
{
    long got = zkwb_syscall(ZKWB_SYS_READ, ZKWB_FD_INPUT, (long) buf, (long) n);
    return got > 0 ? (size_t) got : 0;
}

/* Reads until n bytes or the end of the input; returns the count (< n only at the end). */
static inline size_t zkwb_read_exact(void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t got = zkwb_read((char *) buf + done, n - done);
        if (got == 0)
            break;
        done += got;
    }
    return done;
}

/* Writes all n bytes to fd, retrying short writes; stops early only on an error. */
static inline void zkwb_write_all(int fd, const void *buf, size_t n)
{
    const char *p = (const char *) buf;
    while (n > 0) {
        long put = zkwb_syscall(ZKWB_SYS_WRITE, fd, (long) p, (long) n);
        if (put <= 0)
            return;
        p += put;
        n -= (size_t) put;
    }
}

/* Appends n bytes to the public journal. */
static inline void zkwb_commit(const void *buf, size_t n)
{
    zkwb_write_all(ZKWB_FD_JOURNAL, buf, n);
}

/* Writes a NUL-terminated message, as is, to the host log. */
static inline void zkwb_log(const char *message)
{
    size_t n = 0;
    while (message[n] != '\0')
        n++;
    zkwb_write_all(ZKWB_FD_LOG, message, n);
}

/* Halts the guest now with this exit code; atexit handlers do not run (like _exit). */
__attribute__((noreturn)) static inline void zkwb_exit(int code)
{
    zkwb_syscall(ZKWB_SYS_EXIT, code, 0, 0);
    __builtin_trap(); /* unreachable: exit does not return */
}

/*
 * The cycle counter: the rows the run executed before this call's rdcycle, proven by
 * the circuit and the same in every run (docs/guest-abi.md, "The cycle counter").
 * Under qemu it reads the host's counter. clock(), time(), gettimeofday() and
 * clock_gettime() read it too, at a nominal 1 MHz (sdk/time.c).
 */
static inline uint64_t zkwb_cycles(void)
{
    uint32_t hi, lo, again;
    /* The usual rv32 read of a 64-bit counter: read again if the low half wrapped
       between the two reads of the high half (zkwb's high half is always 0). */
    do {
        __asm__ volatile("rdcycleh %0" : "=r"(hi));
        __asm__ volatile("rdcycle %0" : "=r"(lo));
        __asm__ volatile("rdcycleh %0" : "=r"(again));
    } while (hi != again);
    return ((uint64_t)hi << 32) | lo;
}

/* picolibc declares the POSIX clocks only for targets with POSIX timers; the SDK
   defines them (sdk/time.c: every clock is the cycle counter). */
#ifndef _POSIX_TIMERS
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC ((clockid_t)4)
#endif
int clock_gettime(clockid_t clock_id, struct timespec *tp);
int clock_getres(clockid_t clock_id, struct timespec *res);
#endif

/*
 * Reads the whole private input into a malloc'd buffer, NUL-terminated for
 * convenience (the terminator is not counted). Stores the length in *len and
 * returns the buffer, or NULL (with *len = 0) when memory runs out.
 */
void *zkwb_read_all(size_t *len);

/* printf-style message to the host log (integer and string conversions). */
void zkwb_logf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif /* ZKWB_H */
