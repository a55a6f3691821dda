/*
 * ioapic.c - the I/O APIC: device interrupt pins to local-APIC messages
 * (chapter 6, "APICs").
 *
 * An edge-triggered pin sends its vector once per assertion; a masked pin
 * loses the edge, as on hardware. A level-triggered pin sends and sets
 * Remote IRR, and sends again only after the CPU's EOI for that vector if
 * the line is still asserted. A message for a CPU that does not exist, or in
 * a delivery mode we lack, is dropped with a warning (once per pin).
 */
#include "devices/ioapic.h"

#include <stdio.h>
#include <string.h>

#include "devices/bus.h"
#include "devices/lapic.h"

static void warn_pin(struct ioapic *io, unsigned pin, const char *why)
{
    io->stats.nowhere++;
    if (io->warned_nowhere & (1u << pin))
        return;
    io->warned_nowhere |= 1u << pin;
    fprintf(stderr, "vmm: I/O APIC pin %u: %s; interrupt dropped\n", pin, why);
}

/* Is pin asserted, polarity applied? */
static bool asserted(const struct ioapic *io, unsigned pin)
{
    bool wire = io->pin_level >> pin & 1;
    return (io->rte[pin] & IOAPIC_RTE_ACTIVE_LOW) ? !wire : wire;
}

/* Does the entry's destination name our CPU? */
static bool for_us(const struct ioapic *io, uint64_t rte)
{
    uint8_t dest = rte >> 56;
    if (dest == 0xFF)
        return true;                    // broadcast
    if (rte & IOAPIC_RTE_LOGICAL)
        return (dest & (io->lapic->ldr >> 24)) != 0;
    return (dest & 0x0F) == io->lapic->id;
}

/* Send pin's message to the local APIC. */
static void deliver(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->rte[pin];
    unsigned mode = (rte >> 8) & 7;
    bool level = rte & IOAPIC_RTE_LEVEL;
    if (mode != LAPIC_DM_FIXED && mode != 1) {
        warn_pin(io, pin, "delivery mode other than fixed or lowest priority");
        return;
    }
    if (!for_us(io, rte)) {
        warn_pin(io, pin, "routed to a CPU that does not exist");
        return;
    }
    if (level)
        io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    io->stats.delivered++;
    lapic_accept(io->lapic, rte & 0xFF, level);
}

/* Level pins: send if asserted, unmasked and not already in service. */
static void service_level(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->rte[pin];
    if ((rte & IOAPIC_RTE_LEVEL) && !(rte & IOAPIC_RTE_MASKED) &&
        !(rte & IOAPIC_RTE_REMOTE_IRR) && asserted(io, pin))
        deliver(io, pin);
}

void ioapic_set_pin(struct ioapic *io, unsigned pin, int level)
{
    if (pin >= IOAPIC_PINS)
        return;
    bool was = asserted(io, pin);
    if (level)
        io->pin_level |= 1u << pin;
    else
        io->pin_level &= ~(1u << pin);
    uint64_t rte = io->rte[pin];
    if (rte & IOAPIC_RTE_LEVEL) {
        service_level(io, pin);
    } else if (!was && asserted(io, pin)) {
        if (rte & IOAPIC_RTE_MASKED)
            io->stats.masked++;
        else
            deliver(io, pin);
    }
}

void ioapic_set_isa_irq(void *opaque, int irq, int level)
{
    ioapic_set_pin(opaque, irq == 0 ? 2 : (unsigned)irq, level);
}

void ioapic_eoi(void *opaque, uint8_t vector)
{
    struct ioapic *io = opaque;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        if ((io->rte[pin] & 0xFF) == vector && (io->rte[pin] & IOAPIC_RTE_REMOTE_IRR)) {
            io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            service_level(io, pin);
        }
    }
}

static uint32_t read_reg(struct ioapic *io, uint32_t reg)
{
    switch (reg) {
    case IOAPIC_REG_ID:  return io->id << 24;
    case IOAPIC_REG_VER: return (uint32_t)(IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
    case IOAPIC_REG_ARB: return io->id << 24;
    }
    if (reg >= IOAPIC_REG_TABLE && reg < IOAPIC_REG_TABLE + 2 * IOAPIC_PINS) {
        uint64_t rte = io->rte[(reg - IOAPIC_REG_TABLE) / 2];
        return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    return 0;                           // no such register: reads as 0, like QEMU's
}

static void write_reg(struct ioapic *io, uint32_t reg, uint32_t v)
{
    if (reg == IOAPIC_REG_ID) {
        io->id = (v >> 24) & 0x0F;
        return;
    }
    if (reg < IOAPIC_REG_TABLE || reg >= IOAPIC_REG_TABLE + 2 * IOAPIC_PINS) {
        if (io->warned++ < 4)
            fprintf(stderr, "vmm: I/O APIC: write to register 0x%x, which is read-only "
                    "or does not exist; ignored\n", reg);
        return;
    }
    unsigned pin = (reg - IOAPIC_REG_TABLE) / 2;
    uint64_t rte = io->rte[pin];
    if (reg & 1) {
        rte = (rte & 0xFFFFFFFFull) | (uint64_t)(v & 0xFF000000u) << 32;
    } else {
        // Delivery status and Remote IRR are the APIC's, not the guest's.
        uint64_t keep = IOAPIC_RTE_REMOTE_IRR | (1ull << 12);
        rte = (rte & ~0xFFFFFFFFull) | (rte & keep) | (v & 0x1AFFFu);
        if (!(rte & IOAPIC_RTE_LEVEL))
            rte &= ~IOAPIC_RTE_REMOTE_IRR;
    }
    io->rte[pin] = rte;
    service_level(io, pin);             // unmasking an asserted level pin sends it
}

static void ioapic_mmio(void *opaque, uint32_t offset, unsigned size, bool is_write,
                        uint32_t *value)
{
    struct ioapic *io = opaque;
    if (size != 4 || (offset != IOAPIC_REGSEL && offset != IOAPIC_WIN)) {
        if (io->warned++ < 4)
            fprintf(stderr, "vmm: I/O APIC: %u-byte %s at offset 0x%x is not a register "
                    "access; %s\n", size, is_write ? "write" : "read", offset,
                    is_write ? "dropped" : "reads 0");
        return;
    }
    if (offset == IOAPIC_REGSEL) {
        if (is_write)
            io->regsel = *value & 0xFF;
        else
            *value = io->regsel;
    } else if (is_write) {
        write_reg(io, io->regsel, *value);
    } else {
        *value = read_reg(io, io->regsel);
    }
}

int ioapic_init(struct ioapic *io, struct bus *bus, struct lapic *lapic)
{
    memset(io, 0, sizeof(*io));
    io->id = IOAPIC_ID;
    io->lapic = lapic;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        io->rte[pin] = IOAPIC_RTE_MASKED;
    return bus_register_mmio(bus, IOAPIC_BASE, IOAPIC_SIZE, ioapic_mmio, io, "ioapic");
}
