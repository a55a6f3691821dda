/*
 * syscall64.S - a guest that far-jumps to the host's 64-bit code segment
 * (0x33 on Linux) and executes syscall (getpid) in 64-bit mode. On the trap
 * engine the jump itself is legal for the CPU; the system call must be
 * refused by the seccomp filter (its instruction pointer is below 4 GiB).
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print hello
    ljmp $0x33, $long_mode
long_mode:
    .byte 0xb8, 0x27, 0x00, 0x00, 0x00  # movl $39, %eax (x86-64 getpid)
    .byte 0x0f, 0x05                    # syscall
    .byte 0xeb, 0xfe                    # jmp .
.data
hello: .asciz "syscall64 guest: far jump to 0x33, then syscall\n"
.section .note.GNU-stack, "", @progbits
