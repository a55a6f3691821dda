/*
 * escape.S - a hostile guest that tries to leave its box on the trap engine
 * (chapter 3, "Popek and Goldberg's resource control"; the escape suite,
 * tests/integration/escape-suite.sh). The first number of the command line
 * picks the attempt:
 *
 *   1 far jump to 0x33 (Linux's 64-bit user code), then raw syscalls
 *   2 far call to 0x33            3 iret to 0x33          4 lret to 0x33
 *   5-8 in 64-bit mode, call through r15, r13, r12, r11 (what the VMM's
 *     registers held when it entered the guest: its own data and stack)
 *   9 the TLS block: call through the pointer at %fs:0
 *   10 the legacy vsyscall page, then back to 32-bit mode and power off 0
 *   11 a jump above 4 GiB
 *   12 zero every page a 64-bit register points at above 4 GiB, then spin
 *   13 int $0x80        14 sysenter       15 syscall from 32-bit mode
 *
 * Escaped, the payload creates the file "escape-marker" in the current
 * directory and writes "ESCAPED" on file descriptor 1 (x86-64 system calls
 * open and write), then powers off with code 0. The guest itself prints
 * nothing on the serial line: whatever reaches the VMM's stdout came out of
 * the box. The VMM must stop every attempt with status 123 (or 124 when
 * --timeout fires first).
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    movl $0x90000, %esp
    cmdline_number
    cmpl $(ntable), %eax
    jae no_such
    jmp *table(, %eax, 4)

no_such:
    poweroff 2

farjmp:
    ljmp $0x33, $payload64
farcall:
    lcall $0x33, $payload64
iret33:
    pushfl
    pushl $0x33
    pushl $payload64
    iret
lret33:
    pushl $0x33
    pushl $payload64
    lret

/* The attempts that need 64-bit mode first: a far jump, then the code. */
r15call:  ljmp $0x33, $r15call64
r13call:  ljmp $0x33, $r13call64
r12call:  ljmp $0x33, $r12call64
r11call:  ljmp $0x33, $r11call64
tlscall:  ljmp $0x33, $tlscall64
vsyscall: ljmp $0x33, $vsyscall64
above4g:  ljmp $0x33, $above4g64
clear:    ljmp $0x33, $clear64

int80:
    movl $4, %eax                       # i386 write(1, msg, len)
    movl $1, %ebx
    movl $msg, %ecx
    movl $msg_end - msg, %edx
    int $0x80
    poweroff 0
sysenter:
    movl $4, %eax
    movl $1, %ebx
    movl $msg, %ecx
    movl $msg_end - msg, %edx
    movl %esp, %ebp
    sysenter
    poweroff 0
syscall32:
    movl $4, %eax
    movl $1, %ebx
    movl $msg, %ecx
    movl $msg_end - msg, %edx
    syscall
    poweroff 0

back32:
    poweroff 0

.code64
/* Escaped: create the marker file, write on stdout, go back and power off. */
payload64:
    movl $2, %eax                       # open(path, O_WRONLY|O_CREAT, 0644)
    movl $path, %edi
    movl $0101, %esi
    movl $0644, %edx
    syscall
    movl $1, %eax                       # write(1, msg, len)
    movl $1, %edi
    movl $msg, %esi
    movl $msg_end - msg, %edx
    syscall
to32:
    movl $0x90000, %esp
    pushq $0x23
    movl $back32, %eax
    pushq %rax
    lretq

r15call64: call *%r15
    jmp payload64
r13call64: call *%r13
    jmp payload64
r12call64: call *%r12
    jmp payload64
r11call64: call *%r11
    jmp payload64
tlscall64:
    movq %fs:0, %rax
    call *(%rax)
    jmp payload64
vsyscall64:
    xorl %edi, %edi                     # gettimeofday(NULL, NULL)
    xorl %esi, %esi
    movq $0xffffffffff600000, %rax
    call *%rax
    jmp to32
above4g64:
    movabsq $0x7f0000000000, %rax
    jmp *%rax
/* Zero the page each register points at, if it lies above 4 GiB. */
clear64:
    .irp reg, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
    movq %\reg, %rax
    call zero_page
    .endr
1:  jmp 1b
zero_page:
    movq %rax, %rdi
    shrq $32, %rax
    jz 2f
    andq $-4096, %rdi
    movl $512, %ecx
3:  movq $0, (%rdi)
    addq $8, %rdi
    loop 3b
2:  ret
.code32

.section .rodata
.align 4
table:
    .long no_such, farjmp, farcall, iret33, lret33, r15call, r13call, r12call, r11call
    .long tlscall, vsyscall, above4g, clear, int80, sysenter, syscall32
.set ntable, (. - table) / 4
path: .asciz "escape-marker"
msg: .ascii "ESCAPED\n"
msg_end:
.section .note.GNU-stack, "", @progbits
