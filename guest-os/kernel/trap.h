/*
 * trap.h - the trap frame and the interrupt vectors (chapter 1).
 */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include "kernel/types.h"

/* What alltraps (trapasm.S) leaves on the kernel stack, lowest address first. */
struct trapframe {
    uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax;   /* pushal */
    uint32_t trapno;
    uint32_t err;
    uint32_t eip;                       /* pushed by the CPU from here on */
    uint32_t cs;
    uint32_t eflags;
    uint32_t esp;                       /* only when coming from user mode */
    uint32_t ss;
};

#define T_DIVIDE   0
#define T_GPFLT   13
#define T_PGFLT   14
#define T_IRQ0    32                    /* IRQ n arrives at vector T_IRQ0 + n */
#define IRQ_TIMER  0
#define IRQ_COM1   4

void idt_init(void);
void trap(struct trapframe *tf);
extern volatile uint32_t ticks;         /* timer interrupts since boot (100 Hz) */
extern volatile uint32_t ticks_in_popf_test;

#endif
