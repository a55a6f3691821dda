/*
 * triple-fault.S - a guest that triple-faults: it says so, touches an
 * unassigned port twice (the VMM reports it once), loads an empty IDT and
 * raises an exception. The VMM must stop with a clear message (status 123).
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print msg
    inb $0x99, %al                      # unassigned: reported once
    inb $0x99, %al
    lidt empty_idt
    int3                                # no IDT: #GP, then #DF, then shutdown
    jmp .

.data
msg: .asciz "triple-fault guest: going down\n"
empty_idt:
    .word 0
    .long 0
.section .note.GNU-stack, "", @progbits
