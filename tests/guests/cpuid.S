/*
 * cpuid.S - a guest that prints the CPU vendor string cpuid gives it. cpuid
 * is not privileged: on the trap engine it shows the host's CPU unless the
 * host offers CPUID faulting (chapter 3, "The x86 holes").
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    xorl %eax, %eax
    cpuid
    movl %ebx, vendor
    movl %edx, vendor+4
    movl %ecx, vendor+8
    print prefix
    print vendor
    print newline
    poweroff 0

.data
prefix: .asciz "cpuid guest: vendor "
vendor: .space 13
newline: .asciz "\n"
.section .note.GNU-stack, "", @progbits
