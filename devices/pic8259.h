/*
 * pic8259.h - two cascaded 8259A interrupt controllers (chapter 2, "Devices
 * and interrupts"; chapter 6, "I/O virtualization").
 *
 * The master answers at ports 0x20/0x21 and handles IRQ 0-7, the slave at
 * 0xA0/0xA1 handles IRQ 8-15 and signals the master on its IRQ 2. Devices
 * call pic_set_irq() to move their interrupt line; the engine looks at
 * pic_has_interrupt() (the CPU's INTR pin) when the guest has IF=1 and then
 * calls pic_acknowledge() (the INTA cycle) to get the vector to deliver.
 */
#ifndef DEVICES_PIC8259_H
#define DEVICES_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

/* One 8259A chip. */
struct pic_chip {
    uint8_t irr;            /* interrupt request register: lines asking */
    uint8_t isr;            /* in-service register: being handled by the CPU */
    uint8_t imr;            /* interrupt mask register (OCW1) */
    uint8_t line;           /* last level seen on each input (edge detection) */
    uint8_t elcr;           /* 1 = level-triggered input (PIIX ELCR ports) */
    uint8_t elcr_mask;      /* inputs that may be made level-triggered */
    uint8_t vector_base;    /* ICW2: vector of input 0 */
    uint8_t lowest;         /* input with the highest priority (rotation) */
    uint8_t init_step;      /* 0: running; 1-3: expecting ICW2-ICW4 */
    bool    need_icw4, single;
    bool    auto_eoi, rotate_on_auto_eoi, special_mask, special_nested;
    bool    read_isr;       /* OCW3: port 0x20 reads ISR instead of IRR */
    bool    poll;           /* OCW3: next read of port 0x20 is a poll */
    bool    is_master;
};

/* Someone else listening on the same ISA interrupt lines (the I/O APIC). */
typedef void pic_line_fn(void *opaque, int irq, int level);

struct pic {
    struct pic_chip chip[2];    /* [0] master, [1] slave */
    pic_line_fn    *line_fn;    /* NULL, or told of every pic_set_irq() */
    void           *line_opaque;
    struct {
        uint64_t acks;          /* INTA cycles */
        uint64_t spurious;      /* INTA with nothing to deliver */
    } stats;
};

/* Reset both chips and claim ports 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1. Returns 0 or -1. */
int  pic_init(struct pic *pic, struct bus *bus);

/*
 * Drive input irq (0-15) to level (0 or 1). An edge-triggered input latches
 * a request on 0->1; a level-triggered one requests while the level is 1.
 */
void pic_set_irq(struct pic *pic, int irq, int level);

/*
 * On a PC with an I/O APIC the ISA interrupt lines reach both the 8259s and
 * the I/O APIC's pins (chapter 6, "APICs"); the guest decides which one it
 * listens to by masking the other. fn(opaque, irq, level) sees every change.
 */
void pic_set_line_listener(struct pic *pic, pic_line_fn *fn, void *opaque);

/* Make irq level- (true) or edge-triggered, as firmware does for PCI lines. */
void pic_set_level_triggered(struct pic *pic, int irq, bool level);

/* The master's INTR output: an unmasked request outranks what is in service. */
bool pic_has_interrupt(struct pic *pic);

/*
 * The CPU's interrupt acknowledge: returns the vector to deliver, marks it
 * in service and clears its request (edge mode). With nothing left to deliver
 * the 8259A answers with its IRQ 7 vector (IRQ 15 on the slave): a spurious
 * interrupt that the guest recognises by an ISR bit that is not set.
 */
int  pic_acknowledge(struct pic *pic);

#endif
