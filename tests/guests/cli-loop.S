/*
 * cli-loop.S - a micro-benchmark guest: execute `cli` N times (N from the
 * command line), then power off. At CPL 0 on bare hardware cli costs a
 * cycle; on the trap engine each one is a full trap round trip: #GP, signal,
 * emulation, back into the guest (chapter 3, "What a trap costs").
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    cmdline_number
    movl %eax, %ecx
    jecxz 2f
1:  cli
    loop 1b
2:  poweroff 0
.section .note.GNU-stack, "", @progbits
