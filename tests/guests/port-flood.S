/*
 * port-flood.S - a flood of port I/O (chapter 9, "Misbehaving guests"):
 * a read of every port from 0x0000 to 0xFFFF except the few whose reads
 * change a device's state, then 200000 writes to the unassigned port 0x80
 * (the PC's POST-code port). The VMM must not report each one: a few lines
 * on stderr at most. Prints the same everywhere; exit code 0.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    xorl %edx, %edx
1:  cmpw $0x3F8, %dx                    # the UART: its data and status are ours
    jb 2f
    cmpw $0x3FF, %dx
    jbe 3f
2:  inb %dx, %al
3:  incl %edx
    cmpl $0x10000, %edx
    jb 1b

    movl $200000, %ecx
    movw $0x80, %dx
4:  outb %al, %dx
    loop 4b
    print done
    poweroff 0

.data
done: .asciz "port-flood: read 65528 ports, wrote port 0x80 200000 times\n"
.section .note.GNU-stack, "", @progbits
