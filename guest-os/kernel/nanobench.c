/*
 * nanobench.c - the kernel half of the nanobenchmarks (chapter
 * 08-shadow-vs-ept.md, "Nanobenchmarks"). User code cannot execute
 * cli, in, mov to CR3 or touch its own page table, so the `nano` program
 * asks the kernel to do the operation n times in one system call; the
 * host harness times n and 2n and divides the difference by n, so the
 * system call itself cancels out.
 *
 * Each loop is what a VMM sees as one exit (or a few) per iteration on
 * the trap engine and under shadow paging, and mostly nothing under
 * hardware assistance: that contrast is the point of the chapter.
 */
#include "kernel/nanobench.h"

#include "guest-os/include/syscall.h"
#include "kernel/kalloc.h"
#include "kernel/memlayout.h"
#include "kernel/proc.h"
#include "kernel/vm.h"
#include "kernel/x86.h"

#define UNASSIGNED_PORT 0x2E8           /* COM4: no device on our PC or QEMU's */

/* nano_divide: one divide by zero. The #DE handler sees EIP at
 * nano_divide_fault and resumes at nano_divide_resume (nanobench_fixup).
 * In assembly, so that the two labels exist exactly once. */
void nano_divide(void);
extern const char nano_divide_fault[], nano_divide_resume[];
__asm__(".text\n"
        ".globl nano_divide\n"
        "nano_divide:\n"
        "    xorl %ecx, %ecx\n"
        "    movl $1, %eax\n"
        "    xorl %edx, %edx\n"
        "nano_divide_fault:\n"
        "    divl %ecx\n"
        "nano_divide_resume:\n"
        "    ret\n");

bool nanobench_fixup(struct trapframe *tf)
{
    if (tf->trapno != T_DIVIDE || tf->eip != (uint32_t)nano_divide_fault)
        return false;
    tf->eip = (uint32_t)nano_divide_resume;
    return true;
}

/* Point the PTE of user page va at another frame, flush it, read through
 * it: a page-table write followed by its use (Adams & Agesen's ptemod).
 * Returns a sum of what was read, or -1 if va is not a mapped user page. */
static int pte_modify(uint32_t va, uint32_t n)
{
    pte_t *pte = vm_walk(current->pgdir, va, false);
    if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U))
        return -1;
    char *other = kalloc();
    if (!other)
        return -1;
    other[0] = 1;                       // the user page reads 0 at va, this one 1
    pte_t original = *pte, alternate = v2p(other) | (original & 0xFFF);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        *pte = (i & 1) ? alternate : original;
        invlpg(va);
        sum += *(volatile uint8_t *)va;
    }
    *pte = original;
    invlpg(va);
    kfree(other);
    return (int)sum;
}

int sys_nanobench(struct trapframe *tf)
{
    uint32_t op = tf->ebx, n = tf->ecx;
    switch (op) {
    case NANO_CLISTI:
        // Interrupts may come in between: the kernel handles them as in
        // its idle loop. It leaves with them off, as it came.
        for (uint32_t i = 0; i < n; i++) {
            cli();
            sti();
        }
        cli();
        return (int)n;
    case NANO_PIO:
        for (uint32_t i = 0; i < n; i++)
            (void)inb(UNASSIGNED_PORT);
        return (int)n;
    case NANO_CR3:
        // The same directory again: what a context switch costs in the
        // MMU alone (every non-global TLB entry goes).
        for (uint32_t i = 0; i < n; i++)
            vm_switch(current->pgdir);
        return (int)n;
    case NANO_PTEMOD:
        return pte_modify(tf->edx, n);
    case NANO_DIVZERO:
        for (uint32_t i = 0; i < n; i++)
            nano_divide();
        return (int)n;
    default:
        return -1;
    }
}
