/*
 * segment-bases.S - a GDT whose selectors 0x23, 0x2B and 0x33 (the ones the
 * Linux host also has, chapter 3, "Selector repair") are data segments with
 * non-zero bases, loaded into DS, ES, FS and GS at CPL 0. Stores through
 * them must land at base + offset, as on hardware; the output must match
 * the interpreter's.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    movl $0x90000, %esp
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $0, 0x3010                     # clear the targets
    movl $0, 0x1010
    movl $0, 0x2010
    movl $0, 0x3020
    movw $0x23, %ax                     # base 0x3000
    movw %ax, %ds
    movl $0x11111111, 0x10
    movw $0x2B, %ax                     # base 0x1000
    movw %ax, %es
    movl $0x22222222, %es:0x10
    movw $0x33, %ax                     # base 0x2000
    movw %ax, %fs
    movl $0x33333333, %fs:0x10
    movw $0x23, %ax
    movw %ax, %gs
    movl $0x44444444, %gs:0x20
    movl %gs:0x20, %ebx                 # read back through the base
    movw $0x10, %ax                     # flat again: check where the stores went
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    cmpl $0x11111111, 0x3010
    jne bad
    cmpl $0x22222222, 0x1010
    jne bad
    cmpl $0x33333333, 0x2010
    jne bad
    cmpl $0x44444444, 0x3020
    jne bad
    cmpl $0x44444444, %ebx
    jne bad
    print ok
    poweroff 0
bad:
    print failed
    poweroff 1

.data
.align 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF            # 0x08: flat code
    .quad 0x00CF92000000FFFF            # 0x10: flat data
    .quad 0
    .quad 0x00CFF2003000FFFF            # 0x20 (0x23): data, DPL 3, base 0x3000
    .quad 0x00CFF2001000FFFF            # 0x28 (0x2B): data, DPL 3, base 0x1000
    .quad 0x00CFF2002000FFFF            # 0x30 (0x33): data, DPL 3, base 0x2000
gdt_desc:
    .word 7 * 8 - 1
    .long gdt
ok:     .asciz "segment-bases: stores through 0x23, 0x2B and 0x33 in DS, ES, FS, GS land at their bases: ok\n"
failed: .asciz "segment-bases: FAILED: a base was ignored\n"
.section .note.GNU-stack, "", @progbits
