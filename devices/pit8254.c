/*
 * pit8254.c - the 8254 programmable interval timer, computed from virtual
 * time (chapter 2, "Devices and interrupts"; chapter 6, "I/O virtualization").
 *
 * A real 8254 decrements its counters on every tick of a 1.193182 MHz clock.
 * Stepping that in software would cost a million calls a second, so we keep
 * only the time a count was loaded: the current count, the OUT pin and the
 * number of periods so far all follow from "ticks since load" (QEMU's
 * hw/timer/i8254.c works the same way). Time is the VMM's virtual clock, not
 * the host's, so a run is repeatable and `hlt` can jump straight to the next
 * timer edge (pit_next_event_ns).
 *
 * Emulated: modes 0 (interrupt on terminal count), 2 (rate generator) and
 * 3 (square wave); modes 1, 4 and 5 count like mode 0. Lobyte, hibyte and
 * lobyte/hibyte access, the counter latch and read-back commands, and port
 * 0x61. Not emulated: BCD counting, pausing a count while GATE is low.
 */
#include "devices/pit8254.h"
#include "devices/bus.h"
#include "devices/pic8259.h"

#include <string.h>

enum {
    PIT_BASE      = 0x40,       /* channel 0-2 data at 0x40-0x42, control at 0x43 */
    PIT_CONTROL   = 3,
    PORT_B        = 0x61,       /* system control port B: channel 2 gate, speaker */
    NS_PER_SEC    = 1000000000u,
};

/* Whole input-clock ticks from load_ns to now (0 if now is earlier). */
static uint64_t ticks_since_load(const struct pit_channel *c, uint64_t now)
{
    if (now <= c->load_ns)
        return 0;
    /* 128-bit product: 64-bit nanoseconds times 1193182 would overflow after ~4 hours. */
    return (unsigned __int128)(now - c->load_ns) * PIT_HZ / NS_PER_SEC;
}

static bool periodic(const struct pit_channel *c)
{
    return c->mode == 2 || c->mode == 3;
}

/* The counting element's value now, as the guest reads it (16 bits: 65536 reads as 0). */
static uint16_t current_count(const struct pit_channel *c, uint64_t now)
{
    if (!c->counting)
        return c->reload;
    uint64_t d = ticks_since_load(c, now);
    switch (c->mode) {
    case 2:
        return c->reload - d % c->reload;
    case 3:                     /* counts down by two, twice per period */
        return c->reload - (2 * d) % c->reload;
    default:                    /* one-shot: keeps counting past zero and wraps */
        return c->reload - d;
    }
}

/* The OUT pin now. */
static bool output(const struct pit_channel *c, uint64_t now)
{
    if (!c->counting)
        return c->mode != 0;    /* mode 0 drops OUT when programmed, 2 and 3 raise it */
    uint64_t d = ticks_since_load(c, now);
    switch (c->mode) {
    case 2:                     /* low for the one tick before each reload */
        return d % c->reload != c->reload - 1;
    case 3:                     /* high for the first half of each period */
        return d % c->reload < (c->reload + 1) / 2;
    default:                    /* high from terminal count on */
        return d >= c->reload;
    }
}

/* Rising OUT edges since the count was loaded: one per period, or one at terminal count. */
static uint64_t edges_by(const struct pit_channel *c, uint64_t now)
{
    if (!c->counting)
        return 0;
    uint64_t d = ticks_since_load(c, now);
    if (periodic(c))
        return d / c->reload;
    return d >= c->reload ? 1 : 0;
}

/* Start counting from value (0 means 65536) at time now. */
static void load_count(struct pit_channel *c, uint32_t value, uint64_t now)
{
    /* A real 8254 in mode 2 or 3 waits for the current period to end; we start at once. */
    c->reload = value ? value : 0x10000;
    c->load_ns = now;
    c->counting = true;
    c->null_count = false;
    c->edges = 0;
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
    if (c->latched)
        return;                 /* the first latch holds until it is read */
    c->latch = current_count(c, now);
    c->latched = c->access;
}

static void latch_status(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched)
        return;
    c->status = output(c, now) << 7 | c->null_count << 6 | c->access << 4 |
                c->mode << 1 | c->bcd;
    c->status_latched = true;
}

/* A write to the control port 0x43: mode, latch or read-back command. */
static void write_control(struct pit *pit, uint8_t val, uint64_t now)
{
    int sel = val >> 6, access = (val >> 4) & 3;

    if (sel == 3) {             /* read-back: bits 3-1 pick channels 2-0, low bits enable */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2 << i)))
                continue;
            if (!(val & 0x20))
                latch_count(&pit->ch[i], now);
            if (!(val & 0x10))
                latch_status(&pit->ch[i], now);
        }
        return;
    }
    struct pit_channel *c = &pit->ch[sel];
    if (access == PIT_ACCESS_LATCH) {
        latch_count(c, now);
        return;
    }
    c->access = access;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;           /* 6 and 7 are aliases of 2 and 3 */
    c->bcd = val & 1;
    c->read_hi = c->write_hi = false;
    c->counting = false;        /* a new mode waits for a new count */
    c->null_count = true;
}

static uint8_t read_channel(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latched) {
        uint8_t byte;
        switch (c->latched) {
        case PIT_ACCESS_HI:
            byte = c->latch >> 8;
            c->latched = 0;
            break;
        case PIT_ACCESS_LOHI:   /* low byte now, the high byte on the next read */
            byte = c->latch;
            c->latched = PIT_ACCESS_HI;
            break;
        default:
            byte = c->latch;
            c->latched = 0;
            break;
        }
        return byte;
    }
    /* Unlatched lohi reads can tear as the count moves between them; that is why latches exist. */
    uint16_t count = current_count(c, now);
    bool hi = c->access == PIT_ACCESS_HI;
    if (c->access == PIT_ACCESS_LOHI) {
        hi = c->read_hi;
        c->read_hi = !c->read_hi;
    }
    return hi ? count >> 8 : count & 0xFF;
}

static void write_channel(struct pit_channel *c, uint8_t val, uint64_t now)
{
    switch (c->access) {
    case PIT_ACCESS_LO:
        load_count(c, val, now);
        break;
    case PIT_ACCESS_HI:
        load_count(c, (uint32_t)val << 8, now);
        break;
    case PIT_ACCESS_LOHI:
        if (!c->write_hi)
            c->write_lo = val;
        else
            load_count(c, c->write_lo | (uint32_t)val << 8, now);
        c->write_hi = !c->write_hi;
        break;
    default:                    /* no mode programmed yet: the chip ignores data */
        break;
    }
}

/* Ports 0x40-0x43. The 8254 is a byte device: only the low byte of a wider access counts. */
static void pit_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pit *pit = opaque;
    uint64_t now = *pit->now_ns;
    (void)size;

    if (offset == PIT_CONTROL) {
        if (is_write)
            write_control(pit, *value, now);
        else
            *value = 0xFF;      /* the control word is write-only */
    } else if (is_write) {
        write_channel(&pit->ch[offset], *value, now);
    } else {
        *value = read_channel(&pit->ch[offset], now);
    }
}

/* Port 0x61: bit 0 channel 2 gate, bit 1 speaker enable, bit 4 refresh, bit 5 channel 2 OUT. */
static void port_b_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pit *pit = opaque;
    struct pit_channel *c = &pit->ch[2];
    uint64_t now = *pit->now_ns;
    (void)offset, (void)size;

    if (is_write) {
        bool gate = *value & 1;
        /* A rising GATE restarts the count in the modes that are retriggerable. */
        if (gate && !c->gate && c->counting && c->mode != 0 && c->mode != 4)
            load_count(c, c->reload, now);
        c->gate = gate;
        pit->speaker = *value & 2;
        return;
    }
    /* Old delay loops wait for the DRAM refresh bit to change: let it change on every read. */
    pit->refresh = !pit->refresh;
    *value = c->gate | pit->speaker << 1 | pit->refresh << 4 | output(c, now) << 5;
}

void pit_update(struct pit *pit, uint64_t now_ns)
{
    struct pit_channel *c = &pit->ch[0];
    uint64_t e = edges_by(c, now_ns);

    if (e <= c->edges)
        return;
    pit->stats.irqs++;
    pit->stats.coalesced += e - c->edges - 1;
    c->edges = e;
    pic_set_irq(pit->pic, 0, 1);    /* IRQ 0 is edge-triggered: a pulse latches one request */
    pic_set_irq(pit->pic, 0, 0);
}

uint64_t pit_next_event_ns(struct pit *pit, uint64_t now_ns)
{
    const struct pit_channel *c = &pit->ch[0];
    uint64_t e = edges_by(c, now_ns), tick;

    if (!c->counting)
        return UINT64_MAX;
    if (e > c->edges)
        return now_ns;          /* an edge is already due */
    if (periodic(c))
        tick = (e + 1) * c->reload;
    else if (e == 0)
        tick = c->reload;
    else
        return UINT64_MAX;      /* one-shot already fired */

    /* Round up, so that at the returned time ticks_since_load() has reached tick. */
    unsigned __int128 ns = ((unsigned __int128)tick * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
    ns += c->load_ns;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

int pit_init(struct pit *pit, struct bus *bus, struct pic *pic, const uint64_t *now_ns)
{
    memset(pit, 0, sizeof(*pit));
    pit->pic = pic;
    pit->now_ns = now_ns;
    for (int i = 0; i < 3; i++)
        pit->ch[i].reload = 0x10000;
    pit->ch[0].gate = pit->ch[1].gate = true;   /* wired high on a PC; channel 2's is port 0x61 */

    if (bus_register_pio(bus, PIT_BASE, 4, pit_io, pit, "pit") < 0 ||
        bus_register_pio(bus, PORT_B, 1, port_b_io, pit, "port-b") < 0)
        return -1;
    return 0;
}
