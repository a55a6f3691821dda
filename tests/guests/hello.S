/*
 * hello.S - the smallest well-behaved guest: print a line, power off with
 * code 42 through the debug-exit port. Also the guest the KVM engine can run
 * on hosts whose KVM cannot run the full OS (chapter 5).
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    print msg
    poweroff 42

.data
msg: .asciz "hello guest: protected mode, port I/O, bye\n"
.section .note.GNU-stack, "", @progbits
