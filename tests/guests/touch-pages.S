/*
 * touch-pages.S - a micro-benchmark guest: with paging off, write one word
 * in each of N pages from 4 MiB up (N from the command line), then power
 * off. On the trap engine every first touch is a hidden fault: the shadow
 * maps the page and the guest never knows (chapter 4, "Hidden faults").
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    cmdline_number
    movl %eax, %ecx
    movl $0x400000, %edi
    jecxz 2f
1:  movl %ecx, (%edi)
    addl $4096, %edi
    loop 1b
2:  poweroff 0
.section .note.GNU-stack, "", @progbits
