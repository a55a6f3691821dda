/*
 * self-modify.S - self-modifying code (chapter 9, "Misbehaving guests").
 * A loop patches the immediate of an instruction it is about to run, and
 * then an instruction is overwritten by a different one. An interpreter
 * that cached decoded instructions would run the stale ones; ours decodes
 * fresh from guest RAM at every step, and this guest proves it. Prints the
 * same on every engine and on QEMU; exit code 0 when the new code ran.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    xorl %ebx, %ebx                     # the sum of 1..100, as the patches make it
    movl $1, %ecx
1:  movb %cl, patch + 2                 # the imm8 of the addl below
patch:
    addl $0, %ebx                       # 83 C3 ib: becomes addl $ecx, %ebx
    incl %ecx
    cmpl $100, %ecx
    jbe 1b
    cmpl $5050, %ebx
    jne bad

    xorl %eax, %eax
    movb $0x40, target                  # nop (0x90) becomes incl %eax (0x40)
target:
    nop
    cmpl $1, %eax
    jne bad
    print good
    poweroff 0
bad:
    print stale
    poweroff 1

.data
good:  .asciz "self-modify: the patched instructions ran (sum 5050, then inc)\n"
stale: .asciz "self-modify: STALE CODE RAN\n"
.section .note.GNU-stack, "", @progbits
