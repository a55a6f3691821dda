/*
 * wild-jump.S - a guest that jumps to an address where there is no memory
 * (paging off, far beyond RAM). Each engine must end the run cleanly.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print hello
    movl $0xdead0000, %eax
    jmp *%eax

.data
hello: .asciz "wild-jump guest: jumping to 0xdead0000\n"
.section .note.GNU-stack, "", @progbits
