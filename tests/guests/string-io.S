/*
 * string-io.S - string port I/O, every repetition counted (chapter 2, "Port
 * I/O"; chapter 5: on kvm one KVM_EXIT_IO carries all `count` elements of a
 * rep ins/outs, and the VMM must do each of them).
 *
 *  - rep outsb prints a whole line on COM1 in one instruction;
 *  - std; rep outsb prints a line stored backwards (the direction flag);
 *  - rep outsl writes four values to the PCI address register 0xCF8, which
 *    keeps the last: reading it back must give the fourth;
 *  - rep insl reads that register 16 times into a zeroed buffer: all 16
 *    dwords must hold it, and the dword after them must still be 0.
 *
 * A VMM that did only part of a string instruction prints a shorter line
 * or ends with code 1. Exit code 0, as on QEMU.
 */
#include "multiboot.h"
#define PCI_ADDR 0xCF8
#define LAST     0x8000080C             /* enable, bus 0, device 1, register 0x0C */

multiboot_header
.globl _start
_start:
    cld
    movl $line, %esi                    # forwards
    movl $line_end - line, %ecx
    movw $0x3F8, %dx
    rep outsb

    std                                 # backwards, from the last byte
    movl $back_end - 1, %esi
    movl $back_end - back, %ecx
    rep outsb
    cld

    movl $values, %esi                  # four writes, the register keeps the last
    movl $4, %ecx
    movw $PCI_ADDR, %dx
    rep outsl
    movw $0x3FF, %dx                    # a byte to the UART's scratch register:
    movb $0x5A, %al                     # it passes through KVM's run page, so
    outb %al, %dx                       # an IN whose data the VMM drops cannot
    movw $PCI_ADDR, %dx                 # read the last OUT's LAST back by luck
    inl %dx, %eax
    cmpl $LAST, %eax
    jne bad

    movl $buffer, %edi                  # sixteen reads
    movl $16, %ecx
    rep insl
    movl $buffer, %esi
    movl $16, %ecx
1:  cmpl $LAST, (%esi)
    jne bad
    addl $4, %esi
    loop 1b
    cmpl $0, (%esi)                     # the guard: no seventeenth read
    jne bad

    print good
    poweroff 0
bad:
    cld
    print wrong
    poweroff 1

.data
line:     .ascii "string-io: rep outsb wrote this whole line in one instruction\n"
line_end:
back:     .ascii "\netyb tsal sti morf enil siht detnirp bstuo per ;dts :oi-gnirts"
back_end:
good:     .asciz "string-io: rep outsl wrote 4 dwords, rep insl read 16 of 16\n"
wrong:    .asciz "string-io: a string I/O instruction did not do every repetition\n"
          .align 4
values:   .long 0x80000000, 0x80000804, 0x80000808, LAST
buffer:   .fill 17, 4, 0                # 16 dwords and a guard

.section .note.GNU-stack, "", @progbits
