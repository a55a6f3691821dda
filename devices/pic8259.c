/*
 * pic8259.c - two cascaded 8259A programmable interrupt controllers
 * (chapter 2, "Devices and interrupts"; chapter 6, "I/O virtualization").
 *
 * The model follows Intel's 8259A data sheet and QEMU's hw/intc/i8259.c:
 * the guest programs each chip with the ICW1-ICW4 initialisation sequence,
 * then masks lines (OCW1), ends interrupts (OCW2) and chooses what port 0x20
 * reads back (OCW3). Priorities are fixed (input 0 highest) unless the guest
 * asks for rotation. The slave's output is wired to the master's input 2, so
 * an IRQ 8-15 goes through both chips, the way it does on a PC.
 */
#include "devices/pic8259.h"
#include "devices/bus.h"

#include <assert.h>
#include <string.h>

enum {
    PIC_MASTER_BASE = 0x20,
    PIC_SLAVE_BASE  = 0xA0,
    PIC_ELCR_BASE   = 0x4D0,        /* PIIX edge/level control, one byte per chip */
    PIC_CASCADE_IRQ = 2,
};

/* Back to the state ICW1 leaves: nothing masked, pending or in service. */
static void chip_reset(struct pic_chip *c)
{
    c->irr &= c->elcr;              /* a level input that is still high stays requested */
    c->isr = 0;
    c->imr = 0;
    c->line = 0;
    c->vector_base = 0;
    c->lowest = 0;
    c->init_step = 0;
    c->need_icw4 = c->single = false;
    c->auto_eoi = c->rotate_on_auto_eoi = false;
    c->special_mask = c->special_nested = false;
    c->read_isr = c->poll = false;
}

/*
 * Priority of the best bit in mask: 0 is the highest, 8 means none. With
 * rotation the input after `lowest`'s predecessor ranks first.
 */
static int best_priority(const struct pic_chip *c, uint8_t mask)
{
    if (mask == 0)
        return 8;
    int p = 0;
    while (!(mask & (1 << ((p + c->lowest) & 7))))
        p++;
    return p;
}

/*
 * The input this chip would interrupt the CPU with now, or -1: the best
 * unmasked request, if it outranks everything in service.
 */
static int chip_pending(const struct pic_chip *c)
{
    int req = best_priority(c, c->irr & ~c->imr);
    if (req == 8)
        return -1;

    uint8_t busy = c->isr;
    if (c->special_mask)
        busy &= ~c->imr;            /* special mask mode: masked ISR bits do not block */
    if (c->special_nested && c->is_master)
        busy &= ~(1 << PIC_CASCADE_IRQ);    /* let a better slave IRQ nest */
    if (req < best_priority(c, busy))
        return (req + c->lowest) & 7;
    return -1;
}

/*
 * Move one input of one chip; see pic_set_irq(). An edge request stays
 * latched in IRR until INTA takes it, even if the line drops first (QEMU's
 * model; the PIT relies on it by pulsing IRQ 0).
 */
static void chip_set_input(struct pic_chip *c, int input, int level)
{
    uint8_t bit = 1 << input;

    if (c->elcr & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= ~bit;
    } else if (level && !(c->line & bit)) {
        c->irr |= bit;              /* rising edge: latch the request */
    }
    if (level)
        c->line |= bit;
    else
        c->line &= ~bit;
}

/* Propagate the slave's output to the master's cascade input. */
static void pic_update(struct pic *pic)
{
    chip_set_input(&pic->chip[0], PIC_CASCADE_IRQ, chip_pending(&pic->chip[1]) >= 0);
}

/* The chip's half of INTA: input goes in service, its edge request is consumed. */
static void chip_ack(struct pic *pic, struct pic_chip *c, int input)
{
    if (c->auto_eoi) {
        if (c->rotate_on_auto_eoi)
            c->lowest = (input + 1) & 7;
    } else {
        c->isr |= 1 << input;
    }
    if (!(c->elcr & (1 << input)))
        c->irr &= ~(1 << input);    /* a level request stays until the device drops it */
    pic_update(pic);
}

void pic_set_irq(struct pic *pic, int irq, int level)
{
    assert(irq >= 0 && irq < 16);
    chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
    pic_update(pic);
    if (pic->line_fn)
        pic->line_fn(pic->line_opaque, irq, level);
}

void pic_set_line_listener(struct pic *pic, pic_line_fn *fn, void *opaque)
{
    pic->line_fn = fn;
    pic->line_opaque = opaque;
}

void pic_set_level_triggered(struct pic *pic, int irq, bool level)
{
    assert(irq >= 0 && irq < 16);
    struct pic_chip *c = &pic->chip[irq >> 3];
    uint8_t bit = 1 << (irq & 7);

    if (level)
        c->elcr |= bit & c->elcr_mask;
    else
        c->elcr &= ~bit;
}

bool pic_has_interrupt(struct pic *pic)
{
    return chip_pending(&pic->chip[0]) >= 0;
}

int pic_acknowledge(struct pic *pic)
{
    struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
    int irq = chip_pending(m);

    pic->stats.acks++;
    if (irq < 0) {
        /* The request went away between INTR and INTA: the chip answers IRQ 7. */
        pic->stats.spurious++;
        return m->vector_base + 7;
    }
    if (irq != PIC_CASCADE_IRQ) {
        chip_ack(pic, m, irq);
        return m->vector_base + irq;
    }
    int irq2 = chip_pending(s);
    int vector;
    if (irq2 >= 0) {
        chip_ack(pic, s, irq2);
        vector = s->vector_base + irq2;
    } else {
        pic->stats.spurious++;      /* the slave's spurious IRQ 15 */
        vector = s->vector_base + 7;
    }
    chip_ack(pic, m, PIC_CASCADE_IRQ);
    return vector;
}

/* OCW2 command field (bits 7-5): what an "end of interrupt" write means. */
enum {
    OCW2_ROTATE_AEOI_CLEAR = 0, OCW2_EOI = 1, OCW2_SPECIFIC_EOI = 3,
    OCW2_ROTATE_AEOI_SET = 4, OCW2_ROTATE_EOI = 5, OCW2_SET_PRIORITY = 6,
    OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* A write to port 0x20/0xA0: ICW1, OCW2 or OCW3, told apart by bits 4 and 3. */
static void chip_write_command(struct pic *pic, struct pic_chip *c, uint8_t val)
{
    if (val & 0x10) {                       /* ICW1: start initialisation */
        chip_reset(c);
        c->init_step = 1;
        c->need_icw4 = val & 0x01;
        c->single = val & 0x02;
        /* Bit 3 (LTIM, level mode for all inputs) is ignored: PCs use the ELCR. */
    } else if (val & 0x08) {                /* OCW3 */
        if (val & 0x04)
            c->poll = true;
        if (val & 0x02)
            c->read_isr = val & 0x01;
        if (val & 0x40)
            c->special_mask = val & 0x20;
    } else {                                /* OCW2 */
        int cmd = val >> 5, p, irq = val & 7;
        switch (cmd) {
        case OCW2_ROTATE_AEOI_CLEAR:
        case OCW2_ROTATE_AEOI_SET:
            c->rotate_on_auto_eoi = cmd == OCW2_ROTATE_AEOI_SET;
            break;
        case OCW2_EOI:                      /* non-specific: the best in service */
        case OCW2_ROTATE_EOI:
            p = best_priority(c, c->isr);
            if (p != 8) {
                irq = (p + c->lowest) & 7;
                c->isr &= ~(1 << irq);
                if (cmd == OCW2_ROTATE_EOI)
                    c->lowest = (irq + 1) & 7;
            }
            break;
        case OCW2_SPECIFIC_EOI:
            c->isr &= ~(1 << irq);
            break;
        case OCW2_SET_PRIORITY:
            c->lowest = (irq + 1) & 7;
            break;
        case OCW2_ROTATE_SPECIFIC_EOI:
            c->isr &= ~(1 << irq);
            c->lowest = (irq + 1) & 7;
            break;
        default:                            /* 2: no operation */
            break;
        }
    }
    pic_update(pic);
}

/* A write to port 0x21/0xA1: ICW2-ICW4 during initialisation, else OCW1 (mask). */
static void chip_write_data(struct pic *pic, struct pic_chip *c, uint8_t val)
{
    switch (c->init_step) {
    case 0:
        c->imr = val;
        break;
    case 1:                                 /* ICW2: vector base, low 3 bits are the input */
        c->vector_base = val & 0xF8;
        c->init_step = !c->single ? 2 : c->need_icw4 ? 3 : 0;
        break;
    case 2:                                 /* ICW3: cascade wiring, fixed on a PC */
        c->init_step = c->need_icw4 ? 3 : 0;
        break;
    case 3:                                 /* ICW4 */
        c->special_nested = val & 0x10;
        c->auto_eoi = val & 0x02;
        c->init_step = 0;
        break;
    }
    pic_update(pic);
}

/* Poll command (OCW3 bit 2): read the best request as if acknowledged. */
static uint8_t chip_poll(struct pic *pic, struct pic_chip *c)
{
    int irq = chip_pending(c);
    c->poll = false;
    if (irq < 0)
        return 0;
    chip_ack(pic, c, irq);
    return 0x80 | irq;
}

/*
 * Port handler for one chip (opaque is the chip). The 8259A is a byte device;
 * a wider access is treated as a byte access to its first port.
 */
static void pic_io(struct pic *pic, struct pic_chip *c, uint32_t offset,
                   bool is_write, uint32_t *value)
{
    if (is_write) {
        if (offset == 0)
            chip_write_command(pic, c, *value);
        else
            chip_write_data(pic, c, *value);
    } else if (offset == 1) {
        *value = c->imr;
    } else if (c->poll) {
        *value = chip_poll(pic, c);
    } else {
        *value = c->read_isr ? c->isr : c->irr;
    }
}

static void master_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pic *pic = opaque;
    (void)size;
    pic_io(pic, &pic->chip[0], offset, is_write, value);
}

static void slave_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pic *pic = opaque;
    (void)size;
    pic_io(pic, &pic->chip[1], offset, is_write, value);
}

/* ELCR: port 0x4D0 for IRQ 0-7, 0x4D1 for IRQ 8-15. */
static void elcr_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pic *pic = opaque;
    for (unsigned i = 0; i < size && offset + i < 2; i++) {
        struct pic_chip *c = &pic->chip[offset + i];
        if (is_write)
            c->elcr = (*value >> (8 * i)) & c->elcr_mask;
        else
            *value |= (uint32_t)c->elcr << (8 * i);
    }
}

int pic_init(struct pic *pic, struct bus *bus)
{
    memset(pic, 0, sizeof(*pic));
    pic->chip[0].is_master = true;
    /* As on the PIIX: the timer, keyboard, cascade, RTC and FPU lines are always edge. */
    pic->chip[0].elcr_mask = 0xF8;
    pic->chip[1].elcr_mask = 0xDE;
    chip_reset(&pic->chip[0]);
    chip_reset(&pic->chip[1]);

    if (bus_register_pio(bus, PIC_MASTER_BASE, 2, master_io, pic, "pic-master") < 0 ||
        bus_register_pio(bus, PIC_SLAVE_BASE, 2, slave_io, pic, "pic-slave") < 0 ||
        bus_register_pio(bus, PIC_ELCR_BASE, 2, elcr_io, pic, "pic-elcr") < 0)
        return -1;
    return 0;
}
