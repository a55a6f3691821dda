/*
 * two-table-stos.S - one rep stosl that clears entries in two page tables
 * at once, then a CR3 reload (chapter 4, "Traced page tables"): the pages
 * both tables mapped must be gone, in the guest's eyes and in the shadow's.
 * Two adjacent page tables map 0-8 MiB; the guest touches a page through
 * each, clears the last four entries of the first table and the first four
 * of the second with one rep stosl, reloads CR3 and reads through the
 * second table again, which must page-fault. The output must match the
 * interpreter's in both shadow modes.
 */
#include "multiboot.h"
#define PD  0x200000
#define PT0 0x201000
#define PT1 0x202000

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
    lidt idt_desc
    # The page-fault gate: an interrupt gate to on_pf.
    movl $on_pf, %eax
    movw %ax, idt + 14 * 8
    movw $0x08, idt + 14 * 8 + 2
    movw $0x8E00, idt + 14 * 8 + 4
    shrl $16, %eax
    movw %ax, idt + 14 * 8 + 6
    # PT0 maps 0-4 MiB, PT1 4-8 MiB, one to one, present and writable.
    movl $PT0, %edi
    movl $0x003, %eax
    movl $2048, %ecx
2:  movl %eax, (%edi)
    addl $4, %edi
    addl $0x1000, %eax
    loop 2b
    movl $PD, %edi                      # the directory: two tables, nothing else
    xorl %eax, %eax
    movl $1024, %ecx
    rep stosl
    movl $PT0 + 3, PD
    movl $PT1 + 3, PD + 4
    movl $PD, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    movl 0x3FF000, %eax                 # through PT0's last entry
    movl 0x400000, %eax                 # through PT1's first entry
    # One rep stosl over both tables: PT0[1020..1023] and PT1[0..3].
    movl $PT0 + 1020 * 4, %edi
    xorl %eax, %eax
    movl $8, %ecx
    rep stosl
    movl %cr3, %eax
    movl %eax, %cr3
    print cleared
    movl 0x400000, %eax                 # must fault now
    print stale
    poweroff 1

on_pf:
    movl %cr2, %eax
    cmpl $0x400000, %eax
    jne 3f
    print faulted
    poweroff 0
3:  print wrong_cr2
    poweroff 2

.data
.align 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF            # 0x08: flat 32-bit code
    .quad 0x00CF92000000FFFF            # 0x10: flat data
gdt_desc:
    .word 3 * 8 - 1
    .long gdt
.align 8
idt:
    .fill 32 * 8, 1, 0
idt_desc:
    .word 32 * 8 - 1
    .long idt
cleared:   .asciz "two-table-stos: 8 entries in two page tables cleared by one rep stosl, CR3 reloaded\n"
faulted:   .asciz "two-table-stos: the page behind the second table faults (cr2 0x400000): ok\n"
stale:     .asciz "two-table-stos: STALE: the second table's old mapping is still live\n"
wrong_cr2: .asciz "two-table-stos: a page fault at the wrong address\n"
.section .note.GNU-stack, "", @progbits
