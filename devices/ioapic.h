/*
 * ioapic.h - the I/O APIC at 0xFEC00000 (chapter 6, "APICs").
 *
 * 24 interrupt pins, each with a redirection entry that says which vector
 * goes to which CPU, edge or level, active high or low, masked or not. The
 * ISA lines reach pin N for IRQ N, except the timer's IRQ 0, wired to pin 2
 * as on every PC chipset (the MP table says so). Two registers are visible:
 * IOREGSEL selects a register, IOWIN reads or writes it.
 */
#ifndef DEVICES_IOAPIC_H
#define DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct lapic;

#define IOAPIC_BASE    0xFEC00000u
#define IOAPIC_SIZE    0x20u
#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x11u
#define IOAPIC_ID      1                /* MP table and ID register agree */

enum { IOAPIC_REGSEL = 0x00, IOAPIC_WIN = 0x10 };
enum { IOAPIC_REG_ID = 0, IOAPIC_REG_VER = 1, IOAPIC_REG_ARB = 2, IOAPIC_REG_TABLE = 0x10 };

/* Bits of a redirection entry. */
#define IOAPIC_RTE_MASKED     (1ull << 16)
#define IOAPIC_RTE_LEVEL      (1ull << 15)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_ACTIVE_LOW (1ull << 13)
#define IOAPIC_RTE_LOGICAL    (1ull << 11)

struct ioapic {
    uint32_t      id;                   /* bits 24-27 of the ID register */
    uint32_t      regsel;
    uint64_t      rte[IOAPIC_PINS];
    uint32_t      pin_level;            /* wire level of each pin (before polarity) */
    struct lapic *lapic;                /* our one CPU */
    uint32_t      warned_nowhere;       /* pins already reported as routed nowhere */
    unsigned      warned;
    struct {
        uint64_t delivered;             /* messages sent to the local APIC */
        uint64_t masked;                /* edges lost to a mask */
        uint64_t nowhere;               /* interrupts routed to no CPU */
    } stats;
};

/* Reset (every pin masked) and claim the MMIO window. Returns 0 or -1. */
int  ioapic_init(struct ioapic *io, struct bus *bus, struct lapic *lapic);

/* Drive pin (0-23) to level (0/1): an edge pin sends on assertion, a level pin while asserted. */
void ioapic_set_pin(struct ioapic *io, unsigned pin, int level);

/* An ISA IRQ line moved (the 8259s' listener): IRQ 0 is pin 2, the others pin = IRQ. */
void ioapic_set_isa_irq(void *io, int irq, int level);

/* The local APIC retired level-triggered vector: clear Remote IRR, resend if still asserted. */
void ioapic_eoi(void *io, uint8_t vector);

#endif
