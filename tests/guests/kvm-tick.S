/*
 * kvm-tick.S - a guest that takes one timer interrupt and never returns from
 * it (chapter 05-kvm-and-ept.md). It sets up a GDT and an IDT, programs the
 * PICs and the PIT (100 Hz), then waits in sti; hlt. The IRQ 0 handler prints
 * a line and powers off with code 42. No iret: a KVM without VT-x/AMD-V
 * cannot emulate one, and this guest must run there too, so that the KVM
 * engine's interrupt injection and halt handling are tested on such hosts.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    lgdt gdtdesc
    ljmp $0x08, $1f                     # reload CS from our GDT
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $stack_top, %esp

    # IDT: vectors 0-31 (exceptions) to `fault`, 32 (IRQ 0) to `tick`.
    xorl %ecx, %ecx
2:  movl $fault, %eax
    cmpl $32, %ecx
    jne 3f
    movl $tick, %eax
3:  movw %ax, idt(,%ecx,8)              # offset 15:0
    movw $0x08, idt+2(,%ecx,8)          # code segment
    movw $0x8E00, idt+4(,%ecx,8)        # present, DPL 0, 32-bit interrupt gate
    shrl $16, %eax
    movw %ax, idt+6(,%ecx,8)            # offset 31:16
    incl %ecx
    cmpl $33, %ecx
    jne 2b
    lidt idtdesc

    # The 8259s: IRQ 0-7 at vectors 32-39, 8-15 at 40-47; only IRQ 0 unmasked.
    movb $0x11, %al; outb %al, $0x20    # ICW1: edge, cascade, ICW4 follows
    movb $32, %al;   outb %al, $0x21    # ICW2: vector base
    movb $0x04, %al; outb %al, $0x21    # ICW3: slave on IRQ 2
    movb $0x01, %al; outb %al, $0x21    # ICW4: 8086 mode
    movb $0x11, %al; outb %al, $0xA0
    movb $40, %al;   outb %al, $0xA1
    movb $0x02, %al; outb %al, $0xA1
    movb $0x01, %al; outb %al, $0xA1
    movb $0xFE, %al; outb %al, $0x21    # OCW1: mask all but IRQ 0
    movb $0xFF, %al; outb %al, $0xA1

    # PIT channel 0, mode 2 (rate generator), 1193182 / 11932 = 100 Hz.
    movb $0x34, %al; outb %al, $0x43
    movw $11932, %ax
    outb %al, $0x40
    movb %ah, %al
    outb %al, $0x40

    print waiting
4:  sti
    hlt
    jmp 4b

tick:
    print ticked
    poweroff 42

fault:
    print faulted
    poweroff 1

.data
.align 8
gdt:     .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF   # null, code, data
gdtdesc: .word 3 * 8 - 1
         .long gdt
idtdesc: .word 33 * 8 - 1
         .long idt
waiting: .asciz "tick guest: waiting for IRQ 0\n"
ticked:  .asciz "tick guest: IRQ 0 arrived\n"
faulted: .asciz "tick guest: unexpected exception\n"
.bss
.align 8
idt:     .space 33 * 8
         .space 4096
stack_top:
.section .note.GNU-stack, "", @progbits
