/*
 * trapasm.S - the 256 interrupt entry points and the common path into C
 * (chapter 1, "Interrupts and system calls").
 *
 * Each vector pushes an error code (a zero where the CPU pushes none) and its
 * number, so every trap reaches trap() with the same frame (struct trapframe).
 * Data segments are set from constants on entry and on exit, never saved and
 * restored: reading a segment register is one of the things a de-privileged
 * guest must not rely on (chapter 3).
 */
#include "kernel/seg.h"

.macro vector n
vector\n:
    .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17)
    .else
    pushl $0
    .endif
    pushl $\n
    jmp alltraps
.endm

.macro vector_address n
    .long vector\n
.endm

.text
.altmacro
.set i, 0
.rept 256
    vector %i
    .set i, i + 1
.endr

.data
.globl vectors
vectors:
.set i, 0
.rept 256
    vector_address %i
    .set i, i + 1
.endr

.text
alltraps:
    pushal
    movw $SEG_KDATA_SEL, %ax
    movw %ax, %ds
    movw %ax, %es
    pushl %esp                          # struct trapframe *
    call trap
    addl $4, %esp

.globl trapret
trapret:
    testl $3, 44(%esp)                  # returning to user mode?
    jz 1f
    movw $SEG_UDATA_SEL, %ax
    movw %ax, %ds
    movw %ax, %es
1:  popal
    addl $8, %esp                       # trap number and error code
    iret

.section .note.GNU-stack, "", @progbits
