/*
 * lapic.c - the local APIC of our one CPU (chapter 6, "APICs").
 *
 * Registers are 32 bits wide on 16-byte boundaries in one 4 KiB page. A
 * guest that touches the page any other way (a byte, a misaligned word, a
 * register that does not exist) gets what hardware gives: the access is
 * dropped, reads give 0, and the ESR notes an illegal register address; the
 * VMM warns a few times so the author of the guest can find it.
 */
#include "devices/lapic.h"

#include <stdio.h>
#include <string.h>

#include "devices/bus.h"
#include "devices/pic8259.h"

#define MAX_WARNINGS 8

static void warn(struct lapic *apic, const char *what, uint32_t offset)
{
    if (apic->warned >= MAX_WARNINGS)
        return;
    fprintf(stderr, "vmm: local APIC: %s at offset 0x%03x%s\n", what, offset,
            ++apic->warned == MAX_WARNINGS ? " (further warnings suppressed)" : "");
}

static bool test_bit(const uint32_t *map, unsigned v) { return map[v >> 5] >> (v & 31) & 1; }
static void set_bit(uint32_t *map, unsigned v)        { map[v >> 5] |= 1u << (v & 31); }
static void clear_bit(uint32_t *map, unsigned v)      { map[v >> 5] &= ~(1u << (v & 31)); }

/* The highest vector set in a 256-bit map, or -1. */
static int highest(const uint32_t *map)
{
    for (int i = 7; i >= 0; i--)
        if (map[i])
            return i * 32 + 31 - __builtin_clz(map[i]);
    return -1;
}

/* IRR changes go through these two, which keep irr_count: the engines ask
 * lapic_has_interrupt() before every instruction (interp), so the common
 * answer "nothing requested" must not scan 256 bits. */
static void irr_set(struct lapic *apic, unsigned v)
{
    if (!test_bit(apic->irr, v)) {
        set_bit(apic->irr, v);
        apic->irr_count++;
    }
}

static void irr_clear(struct lapic *apic, unsigned v)
{
    if (test_bit(apic->irr, v)) {
        clear_bit(apic->irr, v);
        apic->irr_count--;
    }
}

static bool sw_enabled(const struct lapic *apic)
{
    return apic->svr & LAPIC_SVR_ENABLE;
}

/* Processor priority: the task priority, or the class of what is in service if higher. */
static uint32_t ppr(const struct lapic *apic)
{
    int isrv = highest(apic->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (apic->tpr & 0xF0) >= isr_class ? apic->tpr & 0xFF : isr_class;
}

/* Note an error; with LVT error unmasked it interrupts the CPU. */
static void note_error(struct lapic *apic, uint32_t bits)
{
    apic->esr_pending |= bits;
    apic->stats.errors++;
    uint32_t lvt = apic->lvt[5];
    if (!(lvt & LAPIC_LVT_MASKED) && (lvt & 0xFF) >= 16)
        irr_set(apic, lvt & 0xFF);
}

void lapic_accept(struct lapic *apic, uint8_t vector, bool level)
{
    if (vector < 16) {
        note_error(apic, LAPIC_ESR_RECV_ILLEGAL);
        return;
    }
    irr_set(apic, vector);
    if (level)
        set_bit(apic->tmr, vector);
    else
        clear_bit(apic->tmr, vector);
}

bool lapic_has_interrupt(struct lapic *apic)
{
    uint32_t lint0 = apic->lvt[3];
    // The 8259s' INTR through LINT0 in ExtINT mode bypasses priorities.
    if (!(lint0 & LAPIC_LVT_MASKED) && ((lint0 >> 8) & 7) == LAPIC_DM_EXTINT &&
        pic_has_interrupt(apic->pic))
        return true;
    if (apic->irr_count == 0 || !sw_enabled(apic))
        return false;
    int v = highest(apic->irr);
    return v >= 0 && ((uint32_t)v & 0xF0) > (ppr(apic) & 0xF0);
}

int lapic_acknowledge(struct lapic *apic)
{
    uint32_t lint0 = apic->lvt[3];
    if (!(lint0 & LAPIC_LVT_MASKED) && ((lint0 >> 8) & 7) == LAPIC_DM_EXTINT &&
        pic_has_interrupt(apic->pic))
        return pic_acknowledge(apic->pic);
    int v = highest(apic->irr);
    if (v < 0 || !sw_enabled(apic) || ((uint32_t)v & 0xF0) <= (ppr(apic) & 0xF0))
        return apic->svr & 0xFF;        // raced away: the spurious vector, as hardware does
    irr_clear(apic, v);
    set_bit(apic->isr, v);
    apic->stats.delivered++;
    return v;
}

/* EOI: retire the highest vector in service; a level one is broadcast to the I/O APIC. */
static void eoi(struct lapic *apic)
{
    int v = highest(apic->isr);
    apic->stats.eois++;
    if (v < 0)
        return;
    clear_bit(apic->isr, v);
    if (test_bit(apic->tmr, v)) {
        clear_bit(apic->tmr, v);
        if (apic->eoi_fn)
            apic->eoi_fn(apic->eoi_opaque, (uint8_t)v);
    }
}

/* ---- the timer ---- */

/* log2 of the divider in TDCR bits 0, 1 and 3: 0b1011 divides by 1. */
static unsigned divide_shift(uint32_t tdcr)
{
    unsigned code = (tdcr & 3) | ((tdcr >> 1) & 4);
    return (code + 1) & 7;
}

/* Timer ticks (after the divider) from start_ns to now_ns. */
static uint64_t ticks_since(const struct lapic *apic, uint64_t now_ns)
{
    if (now_ns <= apic->start_ns)
        return 0;
    unsigned __int128 bus = (unsigned __int128)(now_ns - apic->start_ns) * LAPIC_BUS_HZ;
    return (uint64_t)(bus / 1000000000u) >> divide_shift(apic->divide);
}

static bool periodic(const struct lapic *apic)
{
    return apic->lvt[0] & LAPIC_TIMER_PERIODIC;
}

uint32_t lapic_timer_count(const struct lapic *apic, uint64_t now_ns)
{
    if (apic->initial == 0)
        return 0;
    uint64_t t = ticks_since(apic, now_ns);
    if (periodic(apic))
        return apic->initial - (uint32_t)(t % apic->initial);
    return t >= apic->initial ? 0 : apic->initial - (uint32_t)t;
}

/* Expirations between the start and now_ns: one-shot at most 1. */
static uint64_t expirations(const struct lapic *apic, uint64_t now_ns)
{
    if (apic->initial == 0)
        return 0;
    uint64_t n = ticks_since(apic, now_ns) / apic->initial;
    return periodic(apic) ? n : (n > 0);
}

/* Virtual time at which `ticks` divided ticks have passed since the start (rounded up). */
static uint64_t ticks_to_ns(const struct lapic *apic, uint64_t ticks)
{
    unsigned __int128 bus = (unsigned __int128)ticks << divide_shift(apic->divide);
    unsigned __int128 ns = (bus * 1000000000u + LAPIC_BUS_HZ - 1) / LAPIC_BUS_HZ;
    unsigned __int128 at = ns + apic->start_ns;
    return at > UINT64_MAX ? UINT64_MAX : (uint64_t)at;
}

void lapic_update(struct lapic *apic, uint64_t now_ns)
{
    uint64_t n = expirations(apic, now_ns);
    if (n <= apic->fired)
        return;
    uint64_t new = n - apic->fired;
    apic->fired = n;
    uint32_t lvt = apic->lvt[0];
    if (lvt & LAPIC_LVT_MASKED || !sw_enabled(apic))
        return;                         // the count runs on; the interrupt is held back
    apic->stats.timer++;
    // IRR holds one bit per vector: periods that find it set are lost.
    apic->stats.coalesced += new - (test_bit(apic->irr, lvt & 0xFF) ? 0 : 1);
    lapic_accept(apic, lvt & 0xFF, false);
}

uint64_t lapic_next_event_ns(struct lapic *apic, uint64_t now_ns)
{
    if (apic->initial == 0 || (apic->lvt[0] & LAPIC_LVT_MASKED) || !sw_enabled(apic))
        return UINT64_MAX;
    if (!periodic(apic) && apic->fired > 0)
        return UINT64_MAX;
    uint64_t at = ticks_to_ns(apic, (apic->fired + 1) * (uint64_t)apic->initial);
    return at < now_ns ? now_ns : at;
}

/* Restart the count from TICR at now (a TICR write), or keep counting at a new rate. */
static void timer_restart(struct lapic *apic)
{
    apic->start_ns = *apic->now_ns;
    apic->fired = 0;
}

/* ---- the ICR: interrupts the CPU sends (to itself, on a one-CPU machine) ---- */

static void send_ipi(struct lapic *apic)
{
    uint32_t lo = apic->icr_lo;
    unsigned mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3;
    uint8_t dest = apic->icr_hi >> 24, vector = lo & 0xFF;
    bool to_self;
    apic->stats.ipis++;
    switch (shorthand) {
    case 1: to_self = true; break;                          // self
    case 2: to_self = true; break;                          // all including self
    case 3: to_self = false; break;                         // all excluding self: nobody here
    default:
        to_self = dest == 0xFF || ((lo & (1u << 11))        // logical: flat model
                                   ? (dest & (apic->ldr >> 24)) != 0 : dest == apic->id);
    }
    switch (mode) {
    case LAPIC_DM_FIXED:
    case 1:                                                 // lowest priority: us
        if (vector < 16) {
            note_error(apic, LAPIC_ESR_SEND_ILLEGAL);
            return;
        }
        if (to_self)
            lapic_accept(apic, vector, false);
        return;
    case LAPIC_DM_INIT:
    case LAPIC_DM_STARTUP:
        // INIT level de-assert is only a synchronisation; INIT or SIPI to
        // other CPUs find none (the MP table lists one). Not to ourselves.
        if (to_self && !(mode == LAPIC_DM_INIT && !(lo & (1u << 14))))
            warn(apic, "INIT/STARTUP sent to this CPU itself; ignored", LAPIC_ICRLO);
        return;
    default:
        if (to_self)
            warn(apic, "IPI delivery mode not supported (NMI/SMI); dropped", LAPIC_ICRLO);
        return;
    }
}

/* ---- registers ---- */

static uint32_t read_reg(struct lapic *apic, uint32_t off)
{
    if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80)
        return apic->isr[(off - LAPIC_ISR) >> 4];
    if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80)
        return apic->tmr[(off - LAPIC_TMR) >> 4];
    if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80)
        return apic->irr[(off - LAPIC_IRR) >> 4];
    if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR)
        return apic->lvt[(off - LAPIC_LVT_TIMER) >> 4];
    switch (off) {
    case LAPIC_ID:    return (uint32_t)apic->id << 24;
    case LAPIC_VER:   return LAPIC_VERSION;
    case LAPIC_TPR:   return apic->tpr;
    case LAPIC_APR:   return 0;
    case LAPIC_PPR:   return ppr(apic);
    case LAPIC_EOI:   return 0;
    case LAPIC_LDR:   return apic->ldr;
    case LAPIC_DFR:   return apic->dfr;
    case LAPIC_SVR:   return apic->svr;
    case LAPIC_ESR:   return apic->esr;
    case LAPIC_ICRLO: return apic->icr_lo & ~LAPIC_ICR_PENDING;    // sent at once
    case LAPIC_ICRHI: return apic->icr_hi;
    case LAPIC_TICR:  return apic->initial;
    case LAPIC_TCCR:  return lapic_timer_count(apic, *apic->now_ns);
    case LAPIC_TDCR:  return apic->divide;
    }
    note_error(apic, LAPIC_ESR_ILLEGAL_REG);
    warn(apic, "read of a register that does not exist", off);
    return 0;
}

static void write_lvt(struct lapic *apic, unsigned i, uint32_t v)
{
    // Writable bits: vector, delivery mode (not for the timer), polarity
    // and trigger (LINT0/1 only), mask, timer mode. A disabled APIC keeps
    // every entry masked.
    static const uint32_t writable[LAPIC_LVT_COUNT] = {
        0x300FF, 0x107FF, 0x107FF, 0x1A7FF, 0x1A7FF, 0x100FF,
    };
    v &= writable[i];
    if (!sw_enabled(apic))
        v |= LAPIC_LVT_MASKED;
    if (i == 0 && ((v ^ apic->lvt[0]) & LAPIC_TIMER_PERIODIC)) {
        apic->lvt[0] = v;
        timer_restart(apic);            // a mode change restarts the count
        return;
    }
    apic->lvt[i] = v;
}

static void write_reg(struct lapic *apic, uint32_t off, uint32_t v)
{
    if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
        write_lvt(apic, (off - LAPIC_LVT_TIMER) >> 4, v);
        return;
    }
    switch (off) {
    case LAPIC_ID:    apic->id = v >> 24; return;
    case LAPIC_TPR:   apic->tpr = v & 0xFF; return;
    case LAPIC_EOI:   eoi(apic); return;
    case LAPIC_LDR:   apic->ldr = v & 0xFF000000u; return;
    case LAPIC_DFR:   apic->dfr = v | 0x0FFFFFFFu; return;
    case LAPIC_SVR:
        apic->svr = (v & 0x3FF) | 0x0F;             // bits 0-3 of the spurious vector are 1 on P6
        if (!sw_enabled(apic))
            for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
                apic->lvt[i] |= LAPIC_LVT_MASKED;
        return;
    case LAPIC_ESR:                                 // a write latches the errors seen since
        apic->esr = apic->esr_pending;
        apic->esr_pending = 0;
        return;
    case LAPIC_ICRLO: apic->icr_lo = v & 0x000CDFFFu; send_ipi(apic); return;
    case LAPIC_ICRHI: apic->icr_hi = v & 0xFF000000u; return;
    case LAPIC_TICR:  apic->initial = v; timer_restart(apic); return;
    case LAPIC_TDCR: {
        // Keep the current count, go on at the new rate: the count restarts
        // as if the current period had begun `done` ticks ago at that rate.
        uint32_t left = lapic_timer_count(apic, *apic->now_ns);
        apic->divide = v & 0xB;
        if (apic->initial && left) {
            uint64_t done = apic->initial - left;
            apic->start_ns = *apic->now_ns;
            uint64_t back = ticks_to_ns(apic, done) - apic->start_ns;
            apic->start_ns = apic->start_ns >= back ? apic->start_ns - back : 0;
            apic->fired = 0;            // periods are counted from the new start
        }
        return;
    }
    case LAPIC_VER: case LAPIC_APR: case LAPIC_PPR: case LAPIC_RRD: case LAPIC_TCCR:
        return;                                     // read-only: writes are ignored
    }
    if ((off >= LAPIC_ISR && off < LAPIC_IRR + 0x80))
        return;                                     // ISR, TMR, IRR: read-only
    note_error(apic, LAPIC_ESR_ILLEGAL_REG);
    warn(apic, "write to a register that does not exist", off);
}

static void lapic_mmio(void *opaque, uint32_t offset, unsigned size, bool is_write,
                       uint32_t *value)
{
    struct lapic *apic = opaque;
    if (size != 4 || (offset & 0xF)) {
        warn(apic, is_write ? "write that is not an aligned 32-bit access; dropped"
                            : "read that is not an aligned 32-bit access; reads 0", offset);
        return;
    }
    if (is_write)
        write_reg(apic, offset, *value);
    else
        *value = read_reg(apic, offset);
}

int lapic_init(struct lapic *apic, struct bus *bus, struct pic *pic, const uint64_t *now_ns)
{
    memset(apic, 0, sizeof(*apic));
    apic->pic = pic;
    apic->now_ns = now_ns;
    apic->dfr = 0xFFFFFFFFu;
    apic->svr = LAPIC_SVR_ENABLE | 0xFF;
    for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
        apic->lvt[i] = LAPIC_LVT_MASKED;
    // What the BIOS leaves (SeaBIOS does the same): the 8259s on LINT0 as
    // the "virtual wire", NMI on LINT1.
    apic->lvt[3] = LAPIC_DM_EXTINT << 8;
    apic->lvt[4] = LAPIC_DM_NMI << 8;
    return bus_register_mmio(bus, LAPIC_BASE, LAPIC_SIZE, lapic_mmio, apic, "lapic");
}

void lapic_set_eoi_listener(struct lapic *apic, lapic_eoi_fn *fn, void *opaque)
{
    apic->eoi_fn = fn;
    apic->eoi_opaque = opaque;
}
