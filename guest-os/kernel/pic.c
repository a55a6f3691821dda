/*
 * pic.c - the two cascaded 8259A interrupt controllers (chapter 1).
 *
 * IRQs 0-7 (master) and 8-15 (slave, on the master's IRQ 2) are moved to
 * vectors 32-47, out of the way of the CPU's exceptions. Everything starts
 * masked; drivers unmask their line with pic_enable().
 */
#include "kernel/devices.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define MASTER_CMD  0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD   0xA0
#define SLAVE_DATA  0xA1
#define PIC_EOI     0x20
#define OCW3_READ_ISR 0x0B

static uint16_t masks = 0xFFFF & ~(1u << 2);   /* all masked but the cascade */

static void write_masks(void)
{
    outb(MASTER_DATA, masks & 0xFF);
    outb(SLAVE_DATA, masks >> 8);
}

void pic_init(void)
{
    outb(MASTER_DATA, 0xFF);            // Mask everything while we program them
    outb(SLAVE_DATA, 0xFF);
    outb(MASTER_CMD, 0x11);             // ICW1: edge triggered, cascade, ICW4 follows
    outb(MASTER_DATA, T_IRQ0);          // ICW2: vector base
    outb(MASTER_DATA, 1u << 2);         // ICW3: slave on IRQ 2
    outb(MASTER_DATA, 0x01);            // ICW4: 8086 mode, normal EOI
    outb(SLAVE_CMD, 0x11);
    outb(SLAVE_DATA, T_IRQ0 + 8);
    outb(SLAVE_DATA, 2);                // ICW3: slave identity
    outb(SLAVE_DATA, 0x01);
    write_masks();
}

void pic_enable(int irq)
{
    masks &= (uint16_t)~(1u << irq);
    write_masks();
}

void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(SLAVE_CMD, PIC_EOI);
    outb(MASTER_CMD, PIC_EOI);
}

/* IRQ 7 and 15 also arrive when a request went away before the CPU
 * acknowledged it; the in-service register tells a real one. A spurious
 * IRQ 15 still needs an EOI at the master, which did see the cascade. */
bool pic_spurious(int irq)
{
    if (irq == 7) {
        outb(MASTER_CMD, OCW3_READ_ISR);
        return !(inb(MASTER_CMD) & 0x80);
    }
    if (irq == 15) {
        outb(SLAVE_CMD, OCW3_READ_ISR);
        if (!(inb(SLAVE_CMD) & 0x80)) {
            outb(MASTER_CMD, PIC_EOI);
            return true;
        }
    }
    return false;
}
