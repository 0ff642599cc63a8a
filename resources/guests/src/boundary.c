/*
 * boundary: a scriptable guest that puts chosen events at chosen trace rows, for the
 * tests of continuations (a run proven as segments). tests/guest_scripts.py builds
 * its inputs and computes the row of every event.
 *
 * Private input (all little-endian):
 *     magic u32 = 0x53424B5A ("ZKBS")  | count u32 (at most 4096)
 *     count commands of 12 bytes: op u32 | arg0 u32 | arg1 u32
 *     the rest: data, consumed by READ commands in order
 * The guest reads the 8-byte header and then the commands with one read each, and
 * runs the commands in order; after the last one it exits with code 0.
 *
 *     op      command              effect
 *     1       SPIN n               a counted loop that takes exactly n rows
 *     2       STORE addr, value    sw value, 0(addr)
 *     3       STORE_BYTE addr, v   sb v, 0(addr)
 *     4       LOAD_COMMIT addr     lw the word at addr; append its 4 bytes to the journal
 *     5       READ addr, k         read up to k bytes of the remaining input to addr
 *                                  (repeats the read until k bytes or the end)
 *     6       WRITE addr, k        one write(1, addr, k): k journal bytes from memory
 *     7       BRK addr             brk(addr) (the heap is mapped under qemu only below it)
 *     8       EXIT code            exit(code) now
 *     16 + r  SET_REG r, value     x(20 + r) = value, r = 0..7 (s4..s11)
 *     24 + r  COMMIT_REG r         append the 4 bytes of x(20 + r) to the journal
 * Addresses are absolute; the symbols boundary_buffer (64 KiB, 16-byte aligned, in
 * .bss) and the heap start are the places meant for them. The registers x20..x27 are
 * never touched by the interpreter, so a value set there stays live across any
 * number of commands.
 *
 * Row costs. The interpreter is hand-written assembly (no linker relaxation), so
 * every cost below is exact and independent of the C compiler. w(addr, k) is the
 * number of memory words that bytes [addr, addr + k) touch (0 for k = 0): a read or
 * write syscall takes 2 + w rows (docs/executor.md).
 *   start       crt0 and the two reads of the header and the commands: the first
 *               command starts at row 72 + 3 * count (a script without commands
 *               runs 72 rows in all); tests/vm/test_long_guests.py checks it.
 *   every command begins with 11 rows of dispatch; then
 *   SPIN n      n + 5 rows (16 + n in all)
 *   STORE, STORE_BYTE, SET_REG          2 rows; the store or the register write is row 11
 *   LOAD_COMMIT 11 rows; the lw is row 11, the write's ecall row 17
 *   COMMIT_REG  12 rows; the write's ecall is row 18
 *   WRITE       6 + w rows; the ecall is row 13
 *   READ        with at least k bytes left: 14 + w rows, the ecall at row 15
 *               with 0 < left < k: 19 + w(addr, left) rows (a second read returns 0)
 *               with nothing left or k = 0: 10 rows
 *   BRK         4 rows; the ecall is row 13
 *   EXIT        3 rows; the ecall is row 13 and the last row of the run
 *   after the last command: 4 rows, the exit's ecall last
 * Malformed input (bad magic, too many commands, a short script, an unknown op) or a
 * journal write that fails: a message on the log, exit code 2.
 */
#include <stdint.h>

#include "zkwb.h"

#define BOUNDARY_MAX_COMMANDS 4096
#define BOUNDARY_BUFFER_BYTES 65536

uint32_t boundary_header[2];
uint32_t boundary_script[3 * BOUNDARY_MAX_COMMANDS];
uint8_t boundary_buffer[BOUNDARY_BUFFER_BYTES] __attribute__((aligned(16)));
uint32_t boundary_commit_word;

/* Called from the interpreter for malformed input: reason 0..4, detail a count or index. */
__attribute__((used, noreturn)) void boundary_fail(uint32_t reason, uint32_t detail)
{
    switch (reason) {
    case 0:
        zkwb_log("boundary: the input does not start with the magic \"ZKBS\" and a count\n");
        break;
    case 1:
        zkwb_logf("boundary: %u commands; at most %u allowed\n", (unsigned) detail,
                  BOUNDARY_MAX_COMMANDS);
        break;
    case 2:
        zkwb_logf("boundary: the script is truncated (%u bytes of commands)\n", (unsigned) detail);
        break;
    case 3:
        zkwb_logf("boundary: command %u has an unknown op\n", (unsigned) detail);
        break;
    default:
        zkwb_logf("boundary: the journal write of command %u failed\n", (unsigned) detail);
        break;
    }
    zkwb_exit(2);
}

/*
 * Registers: s0 = the next command, s1 = the end of the script, s2 = the op table,
 * s3 = &boundary_commit_word; t0..t2, a0..a2 and a7 are scratch; x20..x27 belong to
 * the script. main never returns: every way out is an exit syscall.
 */
__asm__(
    "    .option push\n"
    "    .option norelax\n"
    "    .section .text.main, \"ax\", @progbits\n"
    "    .globl main\n"
    "    .type main, @function\n"
    "    .p2align 2\n"
    "main:\n"
    "    la   s2, boundary_ops\n"
    "    la   s3, boundary_commit_word\n"
    "    la   a1, boundary_header\n"
    "    li   a2, 8\n"
    "    jal  boundary_read_exact\n"
    "    li   t1, 8\n"
    "    bne  a0, t1, .Lbad_header\n"
    "    la   t2, boundary_header\n"
    "    lw   t0, 0(t2)\n"
    "    lw   s1, 4(t2)\n"
    "    li   t1, 0x53424B5A\n"
    "    bne  t0, t1, .Lbad_header\n"
    "    li   t1, 4096\n"
    "    bgtu s1, t1, .Lbad_count\n"
    "    slli a2, s1, 1\n"
    "    add  a2, a2, s1\n"
    "    slli a2, a2, 2\n"
    "    la   s0, boundary_script\n"
    "    mv   a1, s0\n"
    "    add  s1, s0, a2\n"
    "    jal  boundary_read_exact\n"
    "    sub  t1, s1, s0\n"
    "    bne  a0, t1, .Lbad_script\n"
    /* Every command: 11 rows from here to the first row of its handler. */
    ".Ldispatch:\n"
    "    bgeu s0, s1, .Lend\n"
    "    lw   t0, 0(s0)\n"
    "    lw   a1, 4(s0)\n"
    "    lw   a2, 8(s0)\n"
    "    addi s0, s0, 12\n"
    "    li   t1, 32\n"
    "    bgeu t0, t1, .Lbad_op\n"
    "    slli t0, t0, 2\n"
    "    add  t0, t0, s2\n"
    "    lw   t0, 0(t0)\n"
    "    jr   t0\n"
    /* SPIN n: n + 5 rows whatever the parity of n (the nop pads an odd n). */
    ".Lspin:\n"
    "    andi t1, a1, 1\n"
    "    srli t0, a1, 1\n"
    "    beqz t1, 1f\n"
    "    nop\n"
    "1:  beqz t0, 3f\n"
    "2:  addi t0, t0, -1\n"
    "    bnez t0, 2b\n"
    "3:  j    .Ldispatch\n"
    ".Lstore:\n"
    "    sw   a2, 0(a1)\n"
    "    j    .Ldispatch\n"
    ".Lstore_byte:\n"
    "    sb   a2, 0(a1)\n"
    "    j    .Ldispatch\n"
    ".Lload_commit:\n"
    "    lw   t0, 0(a1)\n"
    /* Appends the word t0 to the journal: 10 rows, the ecall the sixth. */
    ".Lcommit_t0:\n"
    "    sw   t0, 0(s3)\n"
    "    mv   a1, s3\n"
    "    li   a2, 4\n"
    "    li   a0, 1\n"
    "    li   a7, 64\n"
    "    ecall\n"
    "    bne  a0, a2, .Lbad_write\n"
    "    j    .Ldispatch\n"
    ".Lread:\n"
    "    jal  boundary_read_exact\n"
    "    j    .Ldispatch\n"
    ".Lwrite:\n"
    "    li   a0, 1\n"
    "    li   a7, 64\n"
    "    ecall\n"
    "    bne  a0, a2, .Lbad_write\n"
    "    j    .Ldispatch\n"
    ".Lbrk:\n"
    "    mv   a0, a1\n"
    "    li   a7, 214\n"
    "    ecall\n"
    "    j    .Ldispatch\n"
    ".Lexit:\n"
    "    mv   a0, a1\n"
    "    li   a7, 93\n"
    "    ecall\n"
    "    ebreak\n"
    ".Lend:\n"
    "    li   a0, 0\n"
    "    li   a7, 93\n"
    "    ecall\n"
    "    ebreak\n"
    ".Lset_0: mv s4, a2\n  j .Ldispatch\n"
    ".Lset_1: mv s5, a2\n  j .Ldispatch\n"
    ".Lset_2: mv s6, a2\n  j .Ldispatch\n"
    ".Lset_3: mv s7, a2\n  j .Ldispatch\n"
    ".Lset_4: mv s8, a2\n  j .Ldispatch\n"
    ".Lset_5: mv s9, a2\n  j .Ldispatch\n"
    ".Lset_6: mv s10, a2\n  j .Ldispatch\n"
    ".Lset_7: mv s11, a2\n  j .Ldispatch\n"
    ".Lcommit_0: mv t0, s4\n  j .Lcommit_t0\n"
    ".Lcommit_1: mv t0, s5\n  j .Lcommit_t0\n"
    ".Lcommit_2: mv t0, s6\n  j .Lcommit_t0\n"
    ".Lcommit_3: mv t0, s7\n  j .Lcommit_t0\n"
    ".Lcommit_4: mv t0, s8\n  j .Lcommit_t0\n"
    ".Lcommit_5: mv t0, s9\n  j .Lcommit_t0\n"
    ".Lcommit_6: mv t0, s10\n  j .Lcommit_t0\n"
    ".Lcommit_7: mv t0, s11\n  j .Lcommit_t0\n"
    /* Failures: boundary_fail(reason, detail) logs and exits with code 2. */
    ".Lbad_header:\n"
    "    li   a0, 0\n"
    "    li   a1, 0\n"
    "    jal  boundary_fail\n"
    ".Lbad_count:\n"
    "    li   a0, 1\n"
    "    mv   a1, s1\n"
    "    jal  boundary_fail\n"
    ".Lbad_script:\n"
    "    mv   a1, a0\n"
    "    li   a0, 2\n"
    "    jal  boundary_fail\n"
    ".Lbad_op:\n"
    "    li   a0, 3\n"
    "    j    .Lfail_at_command\n"
    ".Lbad_write:\n"
    "    li   a0, 4\n"
    ".Lfail_at_command:\n"
    "    la   t0, boundary_script\n"
    "    sub  a1, s0, t0\n"
    "    li   t1, 12\n"
    "    divu a1, a1, t1\n"
    "    addi a1, a1, -1\n"
    "    jal  boundary_fail\n"
    "    .size main, . - main\n"
    /* read(0, a1, a2) until a2 bytes or the end; returns the count in a0. Clobbers
       a1, a2, a7, t2. 12 + w rows when the first read gets everything. */
    "    .type boundary_read_exact, @function\n"
    "boundary_read_exact:\n"
    "    li   t2, 0\n"
    "1:  li   a0, 0\n"
    "    li   a7, 63\n"
    "    ecall\n"
    "    blez a0, 2f\n"
    "    add  t2, t2, a0\n"
    "    add  a1, a1, a0\n"
    "    sub  a2, a2, a0\n"
    "    bnez a2, 1b\n"
    "2:  mv   a0, t2\n"
    "    ret\n"
    "    .size boundary_read_exact, . - boundary_read_exact\n"
    "    .section .rodata.boundary_ops, \"a\", @progbits\n"
    "    .p2align 2\n"
    "boundary_ops:\n"
    "    .word .Lbad_op, .Lspin, .Lstore, .Lstore_byte, .Lload_commit, .Lread, .Lwrite, .Lbrk\n"
    "    .word .Lexit, .Lbad_op, .Lbad_op, .Lbad_op, .Lbad_op, .Lbad_op, .Lbad_op, .Lbad_op\n"
    "    .word .Lset_0, .Lset_1, .Lset_2, .Lset_3, .Lset_4, .Lset_5, .Lset_6, .Lset_7\n"
    "    .word .Lcommit_0, .Lcommit_1, .Lcommit_2, .Lcommit_3\n"
    "    .word .Lcommit_4, .Lcommit_5, .Lcommit_6, .Lcommit_7\n"
    /* Only scripts use the buffer: this reference keeps --gc-sections from dropping it. */
    "boundary_buffer_address:\n"
    "    .word boundary_buffer\n"
    "    .option pop\n");
