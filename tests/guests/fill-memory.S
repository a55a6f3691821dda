/*
 * fill-memory.S - a guest that fills all its memory (chapter 9, "Misbehaving
 * guests"): from 2 MiB to the end of RAM as the multiboot memory map says
 * (mem_upper), rep stosl writes every dword; then the first dword of each
 * page gets its own address and all of them are checked, which would catch
 * two guest pages sharing one host page. Last, one write past the end of
 * RAM, where there is nothing. The VMM must give the guest all of --mem and
 * no more, and ignore the stray write. Exit code 0.
 */
#include "multiboot.h"
#define START 0x200000

multiboot_header
.globl _start
_start:
    movl 8(%ebx), %ebp                  # mem_upper: KiB above 1 MiB
    shll $10, %ebp
    addl $0x100000, %ebp                # the end of RAM
    cld
    movl $START, %edi                   # fill it all
    movl %ebp, %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    movl $0xA5A5A5A5, %eax
    rep stosl
    movl $START, %edi                   # each page's first dword: its address
1:  movl %edi, (%edi)
    addl $4096, %edi
    cmpl %ebp, %edi
    jb 1b
    movl $START, %esi                   # check them, and a filled dword of each
2:  cmpl %esi, (%esi)
    jne bad
    cmpl $0xA5A5A5A5, 4092(%esi)
    jne bad
    addl $4096, %esi
    cmpl %ebp, %esi
    jb 2b
    movl $0x12345678, 0x100(%ebp)       # beyond RAM: goes nowhere

    print good
    poweroff 0
bad:
    print wrong
    poweroff 1

.data
good:  .asciz "fill-memory: every page of RAM above 2 MiB written and read back\n"
wrong: .asciz "fill-memory: RAM did not keep what was written\n"
.section .note.GNU-stack, "", @progbits
