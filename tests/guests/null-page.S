/*
 * null-page.S - the commonest guest bug, on purpose: with paging off, read
 * and write guest-physical address 0 and 0xFFC (a NULL dereference, and
 * one just below the end of page 0), and a lodsl that wraps at 4 GiB
 * (chapter 4, "Hidden faults and true faults"). On the trap engine the host
 * never maps the lowest pages (vm.mmap_min_addr), so those accesses must be
 * emulated; the output must match the interpreter's.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    movl $0x90000, %esp
    movl $0x12345678, 0x0               # NULL write
    movl $0x9ABCDEF0, 0xFFC
    movl 0x0, %eax                      # NULL read
    cmpl $0x12345678, %eax
    jne bad
    movl 0xFFC, %eax
    cmpl $0x9ABCDEF0, %eax
    jne bad
    addl 0x0, %eax                      # a read-modify-write operand at 0
    movl %eax, 0x8
    cmpl $(0x12345678 + 0x9ABCDEF0) & 0xFFFFFFFF, 0x8
    jne bad
    print ok_null
    movl $0xFFFFFFFC, %esi              # lodsl at the top of the 4 GiB...
    movl $0x0BADF00D, 0x0
    lodsl                               # ... reads 0xFFFFFFFC: not RAM, all ones
    cmpl $0xFFFFFFFF, %eax
    jne bad
    testl %esi, %esi                    # ESI wrapped to 0
    jnz bad
    lodsl                               # and now reads address 0
    cmpl $0x0BADF00D, %eax
    jne bad
    print ok_wrap
    poweroff 0
bad:
    print failed
    poweroff 1

.data
ok_null: .asciz "null-page: reads and writes at 0 and 0xFFC with paging off: ok\n"
ok_wrap: .asciz "null-page: lodsl wraps at 4 GiB to address 0: ok\n"
failed:  .asciz "null-page: FAILED\n"
.section .note.GNU-stack, "", @progbits
