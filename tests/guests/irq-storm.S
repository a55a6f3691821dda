/*
 * irq-storm.S - an interrupt storm (chapter 9, "Misbehaving guests"): the
 * PIT at its fastest rate (divisor 2: 597 kHz) with an IRQ 0 handler that
 * counts and acknowledges. The guest waits in sti; hlt until 20000
 * interrupts have come, then reports and powers off (code 0). The VMM must
 * keep up or drop ticks as a PC does (an edge that comes while one is
 * pending is lost), never hang or crash.
 */
#include "multiboot.h"
#define COUNT 20000

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

    xorl %ecx, %ecx                     # IDT: 0-31 to fault, 32 to tick
2:  movl $fault, %eax
    cmpl $32, %ecx
    jne 3f
    movl $tick, %eax
3:  movw %ax, idt(,%ecx,8)
    movw $0x08, idt+2(,%ecx,8)
    movw $0x8E00, idt+4(,%ecx,8)        # present, DPL 0, 32-bit interrupt gate
    shrl $16, %eax
    movw %ax, idt+6(,%ecx,8)
    incl %ecx
    cmpl $33, %ecx
    jne 2b
    lidt idtdesc

    movb $0x11, %al; outb %al, $0x20    # the 8259s: IRQ 0-7 at 32, 8-15 at 40
    movb $32, %al;   outb %al, $0x21
    movb $0x04, %al; outb %al, $0x21
    movb $0x01, %al; outb %al, $0x21
    movb $0x11, %al; outb %al, $0xA0
    movb $40, %al;   outb %al, $0xA1
    movb $0x02, %al; outb %al, $0xA1
    movb $0x01, %al; outb %al, $0xA1
    movb $0xFE, %al; outb %al, $0x21    # only IRQ 0
    movb $0xFF, %al; outb %al, $0xA1

    movb $0x34, %al; outb %al, $0x43    # PIT channel 0, mode 2, divisor 2
    movb $2, %al
    outb %al, $0x40
    xorb %al, %al
    outb %al, $0x40

4:  sti
    hlt
    cli
    cmpl $COUNT, ticks
    jb 4b
    print done
    poweroff 0

tick:
    pushl %eax
    incl ticks
    movb $0x20, %al                     # EOI
    outb %al, $0x20
    popl %eax
    iret

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
ticks:   .long 0
done:    .asciz "irq-storm: 20000 timer interrupts taken\n"
faulted: .asciz "irq-storm: unexpected exception\n"
.align 8
idt:     .space 33 * 8
.space 4096
stack_top:
.section .note.GNU-stack, "", @progbits
