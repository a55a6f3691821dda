/*
 * mp-junk.S - a guest that misuses the MP-era devices (chapter 6, "What an
 * MP kernel expects of a PC"; chapter 9, "Misbehaving guests"): every local
 * APIC and I/O APIC register written with all ones and with bytes, an I/O
 * APIC pin routed to a CPU that does not exist and then raised, IDE
 * commands for a sector past the end of the disk and for no command at all.
 * It checks what it can see: the APIC still answers, the IDE errors are the
 * ones the ATA spec names, and a good read still works afterwards. Powers off
 * with 0 when all held, 1 after printing what did not. Needs an IDE disk
 * as drive 0 (--disk FILE,if=ide,index=0) of fewer than 2^28 sectors.
 */
#include "multiboot.h"

#define LAPIC  0xFEE00000
#define IOAPIC 0xFEC00000

multiboot_header
.globl _start
_start:
    cli
    movl $stack_top, %esp

    /* The local APIC: all ones into every register, then a byte into each. */
    movl $LAPIC, %edi
10: movl $0xFFFFFFFF, (%edi)
    movb $0xFF, 1(%edi)
    addl $0x10, %edi
    cmpl $LAPIC + 0x400, %edi
    jb 10b
    movl LAPIC + 0x30, %eax             # the version must still read right
    cmpl $0x00050014, %eax
    je 20f
    print bad_version
    poweroff 1
20: print apic_ok

    /* The I/O APIC: all ones into registers 0-0xFF. */
    xorl %ecx, %ecx
30: movl %ecx, IOAPIC
    movl $0xFFFFFFFF, IOAPIC + 0x10
    movb $0xFF, IOAPIC + 4              # not a register at all
    incl %ecx
    cmpl $0x100, %ecx
    jb 30b
    /* Pin 4 (COM1) to vector 0x40 on APIC 15, which does not exist, then
     * make the UART raise IRQ 4 (transmitter empty). */
    movl $0x19, IOAPIC                  # pin 4, high word: destination
    movl $0x0F000000, IOAPIC + 0x10
    movl $0x18, IOAPIC                  # pin 4, low word
    movl $0x40, IOAPIC + 0x10           # fixed, edge, unmasked
    movw $0x3F9, %dx                    # IER: THR empty interrupt
    movb $0x02, %al
    outb %al, %dx
    print ioapic_ok

    /* IDE: READ SECTORS at LBA 0x0FFFFFFF, past the end of any small disk. */
    movb $0x00, %al; movw $0x3F6, %dx; outb %al, %dx
    movb $1, %al;    movw $0x1F2, %dx; outb %al, %dx
    movb $0xFF, %al; movw $0x1F3, %dx; outb %al, %dx
    movw $0x1F4, %dx; outb %al, %dx
    movw $0x1F5, %dx; outb %al, %dx
    movb $0xEF, %al; movw $0x1F6, %dx; outb %al, %dx    # master, LBA, bits 24-27 = 0xF
    movb $0x20, %al; movw $0x1F7, %dx; outb %al, %dx
    inb %dx, %al
    andb $0x09, %al                     # ERR set, DRQ clear
    cmpb $0x01, %al
    jne bad_ide
    movw $0x1F1, %dx
    inb %dx, %al
    testb $0x14, %al                    # IDNF (no such sector) or ABRT: the spec allows
    jz bad_ide                          # either; QEMU says ABRT, we say both
    print ide_lba_ok

    /* A command that does not exist: aborted. */
    movb $0xFF, %al; movw $0x1F7, %dx; outb %al, %dx
    inb %dx, %al
    testb $0x01, %al
    jz bad_ide
    movw $0x1F1, %dx
    inb %dx, %al
    cmpb $0x04, %al                     # ABRT
    jne bad_ide
    print ide_cmd_ok

    /* The disk still works: read sector 0. */
    movb $1, %al;    movw $0x1F2, %dx; outb %al, %dx
    xorb %al, %al
    movw $0x1F3, %dx; outb %al, %dx
    movw $0x1F4, %dx; outb %al, %dx
    movw $0x1F5, %dx; outb %al, %dx
    movb $0xE0, %al; movw $0x1F6, %dx; outb %al, %dx
    movb $0x20, %al; movw $0x1F7, %dx; outb %al, %dx
    inb %dx, %al
    andb $0x89, %al                     # BSY, DRQ, ERR: DRQ only
    cmpb $0x08, %al
    jne bad_ide
    movl $sector, %edi
    movl $128, %ecx
    movw $0x1F0, %dx
    cld
    rep insl
    movw $0x1F7, %dx
    inb %dx, %al
    testb $0x09, %al                    # done: neither DRQ nor ERR
    jnz bad_ide
    print ide_read_ok
    poweroff 0

bad_ide:
    print ide_bad
    poweroff 1

.data
bad_version: .asciz "mp-junk: the local APIC's version register changed\n"
apic_ok:     .asciz "mp-junk: local APIC survived junk writes\n"
ioapic_ok:   .asciz "mp-junk: I/O APIC survived junk writes and a pin routed nowhere\n"
ide_lba_ok:  .asciz "mp-junk: IDE refused a sector past the end (ERR)\n"
ide_cmd_ok:  .asciz "mp-junk: IDE aborted an unknown command (ERR, ABRT)\n"
ide_read_ok: .asciz "mp-junk: IDE read sector 0 afterwards\n"
ide_bad:     .asciz "mp-junk: IDE did not answer as the ATA spec says\n"

.bss
.align 16
sector: .space 512
.space 4096
stack_top:
.section .note.GNU-stack, "", @progbits
