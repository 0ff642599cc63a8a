/*
 * A zkwb guest has no files: its only input is the private input on stdin. picolibc's
 * fopen/fdopen need open, close and lseek, which the platform does not provide; a guest
 * that calls fopen (or open, close, lseek) fails to link, and the linker says why:
 *
 *   in function `fopen': warning: open() is not available in a zkwb guest: ...
 *   undefined reference to `zkwb_has_no_files__read_the_private_input_from_stdin'
 *
 * The definitions are weak (a guest may define its own) and each sits in its own section,
 * so --gc-sections drops them from every guest that does not use them: they cost nothing.
 * The .gnu.warning.SYMBOL sections make ld print the sentence wherever SYMBOL is used.
 */
#include <sys/types.h>

extern int zkwb_has_no_files__read_the_private_input_from_stdin(void);

#define ZKWB_NO_FILES_MESSAGE(name)                                                        \
    static const char zkwb_warning_##name[]                                                \
        __attribute__((used, section(".gnu.warning." #name))) =                            \
        #name "() is not available in a zkwb guest: it has no files. Read the private "    \
        "input from stdin (fread(buf, 1, n, stdin), getchar, scanf) or with zkwb_read(); " \
        "see docs/writing-guests.md, \"Files\""

ZKWB_NO_FILES_MESSAGE(open);
ZKWB_NO_FILES_MESSAGE(close);
ZKWB_NO_FILES_MESSAGE(lseek);

__attribute__((weak)) int open(const char *path, int flags, ...)
{
    (void)path;
    (void)flags;
    return zkwb_has_no_files__read_the_private_input_from_stdin();
}

__attribute__((weak)) int close(int fd)
{
    (void)fd;
    return zkwb_has_no_files__read_the_private_input_from_stdin();
}

__attribute__((weak)) off_t lseek(int fd, off_t offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return zkwb_has_no_files__read_the_private_input_from_stdin();
}
