/*
 * rep-huge.S - huge rep string operations (chapter 9, "Misbehaving guests"):
 * rep stosl fills 8 MiB, rep movsb copies it 16 MiB further on, repe cmpsl
 * compares the two, and rep outsb sends 4 KiB of text to the UART in one
 * instruction. The executor runs a rep in batches, so each of these gives
 * way to interrupts and to the VMM's timeout in between. Exit code 0.
 */
#include "multiboot.h"
#define SRC  0x01000000                 /* 16 MiB */
#define DST  0x02000000                 /* 32 MiB */
#define SIZE 0x00800000                 /* 8 MiB */

multiboot_header
.globl _start
_start:
    cld
    movl $SRC, %edi                     # fill: the dword's own address
    movl $SIZE / 4, %ecx
    movl $0x5A5A5A5A, %eax
    rep stosl
    movl $SRC, %esi
    movl $DST, %edi
    movl $SIZE, %ecx
    rep movsb
    movl $SRC, %esi
    movl $DST, %edi
    movl $SIZE / 4, %ecx
    repe cmpsl
    jne bad

    movl $text, %edi                    # 64 lines of 63 letters and '\n'
    movl $64, %edx
1:  movl $63, %ecx
    movb $'a', %al
    rep stosb
    movb $'\n', %al
    stosb
    decl %edx
    jnz 1b
    movl $text, %esi
    movl $64 * 64, %ecx
    movw $0x3F8, %dx
    rep outsb

    print good
    poweroff 0
bad:
    print wrong
    poweroff 1

.data
good:  .asciz "rep-huge: 8 MiB filled, copied and compared; 4 KiB sent by rep outsb\n"
wrong: .asciz "rep-huge: the copy differs\n"
text:  .space 64 * 64
.section .note.GNU-stack, "", @progbits
