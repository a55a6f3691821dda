/*
 * sysenter.S - a guest that tries the sysenter instruction, the other door
 * into a 32-bit Linux kernel (getpid). The trap engine must stop it.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print hello
    movl $stack_top, %esp
    movl $20, %eax                      # i386 getpid
    movl %esp, %ebp                     # Linux reads the 6th argument there
    sysenter
    print survived
    cli
    hlt

.data
    .space 256
stack_top:
    .long 0, 0, 0, 0
hello: .asciz "sysenter guest: trying sysenter\n"
survived: .asciz "sysenter guest: still running after sysenter\n"
.section .note.GNU-stack, "", @progbits
