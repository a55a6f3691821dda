/*
 * print-flood.S - a guest that prints far more than any pipe holds: n lines
 * of 64 bytes (the first number of the command line; 0: for ever), then
 * powers off with code 0 (chapter 9, "Misbehaving guests"). The VMM must
 * not block when nobody reads its stdout, nor die when the reader is gone.
 */
#include "multiboot.h"
multiboot_header
.globl _start
_start:
    movl $0x90000, %esp
    cmdline_number
    movl %eax, %edi                     # lines left (0: no end)
next_line:
    print line
    testl %edi, %edi
    jz next_line
    decl %edi
    jnz next_line
    poweroff 0

.data
line: .asciz "print-flood: a line of guest output that nobody has to read....\n"
.section .note.GNU-stack, "", @progbits
