/*
 * boot.S - the kernel's first instructions (chapter 1, "Booting").
 *
 * The boot loader (QEMU, or our VMM) enters at start_phys in 32-bit protected
 * mode with paging off, flat segments, EAX = multiboot magic, EBX = physical
 * address of the multiboot info. The kernel is linked at KERNLINK
 * (0xC0100000) but loaded at 1 MiB, so until paging is on, every absolute
 * address must have KERNBASE subtracted. We map the first 4 MiB twice, at 0
 * (so the next instruction still works) and at KERNBASE, turn paging on,
 * jump up, and call kmain(magic, mbi).
 */
#include "kernel/memlayout.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS        0x00000003      /* page-aligned modules, memory info */
#define PTE_P 0x001
#define PTE_W 0x002
#define CR0_PE 0x00000001
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000

.section .multiboot, "a"
.align 4
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)

.text
.globl start_phys
start_phys = _start - KERNBASE

.globl _start
_start:
    movl %eax, %esi                     # keep the magic and the info pointer
    movl %ebx, %edi

    # boot_pt maps physical [0, 4 MiB) with 4 KiB pages.
    movl $(boot_pt - KERNBASE), %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, (%ebx, %ecx, 4)
    incl %ecx
    cmpl $1024, %ecx
    jne 1b

    # Install it at 0 and at KERNBASE in boot_pgdir.
    movl $(boot_pt - KERNBASE + PTE_P + PTE_W), %eax
    movl %eax, (boot_pgdir - KERNBASE)
    movl %eax, (boot_pgdir - KERNBASE + (KERNBASE >> 22) * 4)

    movl $(boot_pgdir - KERNBASE), %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $(CR0_PE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0

    # Jump to the linked (high) address; paging is on.
    movl $high, %eax
    jmp *%eax
high:
    movl $(boot_stack + 16384), %esp
    xorl %ebp, %ebp
    pushl %edi                          # mbi (physical)
    pushl %esi                          # magic
    call kmain
    # kmain never returns.
2:  cli
    hlt
    jmp 2b

.bss
.align 4096
.globl boot_pgdir
boot_pgdir:
    .space 4096
boot_pt:
    .space 4096
.globl boot_stack
boot_stack:
    .space 16384

.section .note.GNU-stack, "", @progbits
