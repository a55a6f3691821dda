/*
 * int80.S - a guest that tries Linux's 32-bit system call gate, int $0x80
 * (here: write(1, msg, len)). On the trap engine the CPU would let it reach
 * the host kernel; the seccomp filter must refuse and the VMM must stop the
 * guest. Elsewhere it is just an int 0x80 without an IDT: a triple fault.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print hello
    movl $4, %eax                       # i386 write
    movl $1, %ebx
    movl $msg, %ecx
    movl $msg_end - msg, %edx
    int $0x80
    print survived
    cli
    hlt

.data
hello: .asciz "int80 guest: trying int $0x80\n"
msg: .ascii "int80 guest: THE HOST KERNEL RAN MY SYSTEM CALL\n"
msg_end:
survived: .asciz "int80 guest: still running after int $0x80\n"
.section .note.GNU-stack, "", @progbits
