/*
 * What picolibc expects from the platform, over the zkwb (= Linux) syscalls:
 * sbrk for malloc, _exit for exit, getpid/kill for abort, read/write, and the stdio
 * streams.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "zkwb.h"

/*
 * picolibc's own sbrk hands out the memory between two linker symbols; this one asks
 * the host with brk instead, so the heap behaves the same under zkwb and qemu (and
 * can grow up to the end of guest memory). Linux's brk returns the new break on
 * success and the unchanged one on failure.
 */
void *sbrk(ptrdiff_t increment)
{
    static uintptr_t current_break;
    if (current_break == 0)
        current_break = (uintptr_t) zkwb_syscall(ZKWB_SYS_BRK, 0, 0, 0);
    uintptr_t old_break = current_break;
    uintptr_t new_break = old_break + (uintptr_t) increment;
    if ((increment > 0 && new_break < old_break) || (increment < 0 && new_break > old_break)) {
        errno = ENOMEM;
        return (void *) -1;
    }
    if (increment != 0) {
        if ((uintptr_t) zkwb_syscall(ZKWB_SYS_BRK, (long) new_break, 0, 0) != new_break) {
            errno = ENOMEM;
            return (void *) -1;
        }
        current_break = new_break;
    }
    return (void *) old_break;
}

void _exit(int status)
{
    zkwb_exit(status);
}

/*
 * abort() and raise() end in kill(getpid(), sig). A guest is a single process that
 * cannot take a signal from the host, so the default action of a fatal signal is
 * modelled the way a shell reports it: exit code 128 + sig (134 for abort).
 */
pid_t getpid(void)
{
    return 1;
}

int kill(pid_t pid, int sig)
{
    if (pid != getpid()) {
        errno = ESRCH;
        return -1;
    }
    _exit(128 + sig);
}

ssize_t read(int fd, void *buf, size_t count)
{
    long got = zkwb_syscall(ZKWB_SYS_READ, fd, (long) buf, (long) count);
    if (got < 0) {
        errno = (int) -got;
        return -1;
    }
    return got;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    long put = zkwb_syscall(ZKWB_SYS_WRITE, fd, (long) buf, (long) count);
    if (put < 0) {
        errno = (int) -put;
        return -1;
    }
    return put;
}

/*
 * stdio: stdin is the private input, stdout the journal, stderr the host log. The
 * streams are unbuffered, one syscall per character: printf output then interleaves
 * with zkwb_commit in program order and nothing is lost at exit. Use zkwb_commit and
 * zkwb_read for bulk data.
 */
static int put_char(int fd, char c)
{
    return zkwb_syscall(ZKWB_SYS_WRITE, fd, (long) &c, 1) == 1 ? (unsigned char) c : _FDEV_ERR;
}

static int put_journal(char c, FILE *stream)
{
    (void) stream;
    return put_char(ZKWB_FD_JOURNAL, c);
}

static int put_log(char c, FILE *stream)
{
    (void) stream;
    return put_char(ZKWB_FD_LOG, c);
}

static int get_input(FILE *stream)
{
    (void) stream;
    unsigned char c;
    return zkwb_read(&c, 1) == 1 ? c : _FDEV_EOF;
}

static FILE input_stream = FDEV_SETUP_STREAM(NULL, get_input, NULL, _FDEV_SETUP_READ);
static FILE journal_stream = FDEV_SETUP_STREAM(put_journal, NULL, NULL, _FDEV_SETUP_WRITE);
static FILE log_stream = FDEV_SETUP_STREAM(put_log, NULL, NULL, _FDEV_SETUP_WRITE);

FILE *const stdin = &input_stream;
FILE *const stdout = &journal_stream;
FILE *const stderr = &log_stream;
