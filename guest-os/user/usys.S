/*
 * usys.S - the system call stubs (chapter 1, "System calls").
 *
 * Arguments come on the stack (cdecl) and go into EBX, ECX, EDX, ESI, EDI;
 * the number into EAX; then int $0x40. EBX, ESI and EDI are callee-saved in
 * the i386 ABI, so the stub saves them.
 */
#include "guest-os/include/syscall.h"

.macro stub name, number
.globl \name
\name:
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 16(%esp), %ebx
    movl 20(%esp), %ecx
    movl 24(%esp), %edx
    movl 28(%esp), %esi
    movl 32(%esp), %edi
    movl $\number, %eax
    int $T_SYSCALL
    popl %edi
    popl %esi
    popl %ebx
    ret
.endm

stub exit, SYS_exit
stub fork, SYS_fork
stub exec, SYS_exec
stub wait, SYS_wait
stub getpid, SYS_getpid
stub sbrk, SYS_sbrk
stub sleep, SYS_sleep
stub yield, SYS_yield
stub uptime, SYS_uptime
stub read, SYS_read
stub write, SYS_write
stub blkread, SYS_blkread
stub blkwrite, SYS_blkwrite
stub blksize, SYS_blksize
stub poweroff, SYS_poweroff
stub progs, SYS_progs
stub popftest, SYS_popftest
stub nanobench, SYS_nanobench
stub blkflush, SYS_blkflush

/* syscall5(n, a, b, c, d, e): the number is the first argument. */
.globl syscall5
syscall5:
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 16(%esp), %eax
    movl 20(%esp), %ebx
    movl 24(%esp), %ecx
    movl 28(%esp), %edx
    movl 32(%esp), %esi
    movl 36(%esp), %edi
    int $T_SYSCALL
    popl %edi
    popl %esi
    popl %ebx
    ret

.section .note.GNU-stack, "", @progbits
