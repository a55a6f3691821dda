/*
 * trap.c - the IDT and what happens on every interrupt, exception and
 * system call (chapter 1, "Interrupts and system calls").
 *
 * The kernel runs with interrupts disabled: every gate is an interrupt gate,
 * so IF is clear from the moment a trap enters the kernel until iret goes
 * back to user mode. The only place interrupts are taken in kernel mode is
 * the idle loop (sti; hlt; cli). So no locks: one CPU, no kernel preemption.
 *
 * Faults are split as xv6 splits them: a fault in user mode is the program's
 * misbehaviour and kills only that process, with a message; a fault in
 * kernel mode is our bug and panics.
 */
#include "kernel/trap.h"

#include "guest-os/include/syscall.h"
#include "kernel/console.h"
#include "kernel/devices.h"
#include "kernel/nanobench.h"
#include "kernel/proc.h"
#include "kernel/seg.h"
#include "kernel/syscall.h"
#include "kernel/x86.h"

struct gatedesc {
    uint16_t off_lo, sel;
    uint8_t  zero, type_attr;
    uint16_t off_hi;
} __attribute__((packed));

#define GATE_INT32(dpl) (0x8E | ((dpl) << 5))  /* present, 32-bit interrupt gate */

static struct gatedesc idt[256];
extern uint32_t vectors[];              /* trapasm.S */
volatile uint32_t ticks;
volatile uint32_t ticks_in_popf_test;

void idt_init(void)
{
    for (int i = 0; i < 256; i++) {
        // Only the system call may be raised by user code with int n.
        uint8_t dpl = (i == T_SYSCALL) ? 3 : 0;
        idt[i].off_lo = vectors[i] & 0xFFFF;
        idt[i].off_hi = vectors[i] >> 16;
        idt[i].sel = SEG_KCODE_SEL;
        idt[i].zero = 0;
        idt[i].type_attr = GATE_INT32(dpl);
    }
    struct dtr d = { sizeof(idt) - 1, (uint32_t)idt };
    lidt(&d);
}

static const char *const trap_names[] = {
    [0] = "divide error", [1] = "debug", [3] = "breakpoint", [4] = "overflow",
    [5] = "bound range", [6] = "invalid opcode", [7] = "device not available",
    [8] = "double fault", [10] = "invalid TSS", [11] = "segment not present",
    [12] = "stack fault", [13] = "general protection", [14] = "page fault",
    [16] = "x87 error", [17] = "alignment check",
};

static const char *trap_name(uint32_t n)
{
    if (n < sizeof(trap_names) / sizeof(trap_names[0]) && trap_names[n])
        return trap_names[n];
    return "unexpected trap";
}

static void irq(int line)
{
    if (pic_spurious(line))
        return;                         // no EOI for a spurious interrupt
    if (line == IRQ_TIMER) {
        ticks++;
        ticks_in_popf_test++;
        wakeup((const void *)&ticks);
    } else if (line == IRQ_COM1) {
        console_intr();
    } else if (line == vblk_irq()) {
        vblk_intr();
    }
    pic_eoi(line);
}

void trap(struct trapframe *tf)
{
    bool from_user = (tf->cs & 3) == 3;

    if (tf->trapno == T_SYSCALL) {
        syscall_dispatch(tf);
    } else if (tf->trapno >= T_IRQ0 && tf->trapno < T_IRQ0 + 16) {
        irq((int)tf->trapno - T_IRQ0);
    } else if (!from_user && nanobench_fixup(tf)) {
        // The divide nanobenchmark's own fault: resumed past the divl.
    } else if (!from_user) {
        panic("%s (trap %u) in the kernel: err 0x%x eip 0x%x cr2 0x%x",
              trap_name(tf->trapno), tf->trapno, tf->err, tf->eip, rcr2());
    } else if (tf->trapno == T_PGFLT && proc_demand_fault(rcr2()) == 0) {
        // A heap page touched for the first time: now it is there.
    } else {
        kprintf("pid %d (%s): %s (trap %u) at eip 0x%x", current->pid, current->name,
                trap_name(tf->trapno), tf->trapno, tf->eip);
        if (tf->trapno == T_PGFLT)
            kprintf(" address 0x%x", rcr2());
        kprintf(", killed\n");
        current->killed = true;
    }

    if (from_user && current->killed)
        exit(-1);
    // Preempt user code on the timer: round robin.
    if (from_user && tf->trapno == T_IRQ0 + IRQ_TIMER)
        yield();
}
