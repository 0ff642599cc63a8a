/*
 * crt0 for zkwb guests.
 *
 * zkwb starts with every register zero except pc and sp = 0x0C000000; qemu-user starts
 * with its own sp and a Linux process stack. To behave identically under both, _start
 * sets sp to a stack reserved in the ELF (link.ld), gp for linker relaxation and tp to
 * the (single) TLS block, which picolibc uses for errno. The loader already zeroes
 * .bss and .tbss (they are NOBITS in a PT_LOAD segment) and .tdata sits in place, so
 * nothing is copied or cleared here.
 */
    .section .text.init.enter, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    /* gp must not be computed relative to itself: no relaxation here. */
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      tp, __tls_base

    /* Constructors: .preinit_array then .init_array, contiguous in link.ld. */
    la      s0, __preinit_array_start
    la      s1, __init_array_end
1:  beq     s0, s1, 2f
    lw      t0, 0(s0)
    jalr    t0
    addi    s0, s0, 4
    j       1b
2:
    /* main(argc = 0, argv = {NULL}, envp = {NULL}): a guest has no arguments. */
    li      a0, 0
    la      a1, empty_vector
    la      a2, empty_vector
    call    main
    /* exit runs atexit handlers, then _exit (syscalls.c) makes the exit syscall. */
    call    exit
    .size _start, . - _start

    /* In .data: C lets a program modify argv, and it keeps the data segment from
       ever being empty (ld would emit a zero-size PT_LOAD at address 0). */
    .section .data.empty_vector, "aw", @progbits
    .p2align 2
empty_vector:
    .word 0
