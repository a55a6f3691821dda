/*
 * dead-halt.S - a guest that halts with interrupts disabled: nothing can
 * ever wake it. The VMM must say so and stop (status 123), not hang.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print msg
    cli
    hlt
    jmp _start

.data
msg: .asciz "dead-halt guest: cli; hlt\n"
.section .note.GNU-stack, "", @progbits
