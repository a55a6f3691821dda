/*
 * mptable.h - what a PC BIOS leaves in memory for an MP-era kernel: the
 * BIOS data area's memory sizes and the Intel MultiProcessor Specification
 * 1.4 tables (chapter 6, "APICs").
 *
 * Kernels such as xv6 find the local APIC, the I/O APIC and the wiring of
 * the ISA interrupts only there. We have no BIOS, so the VMM writes them
 * before the guest starts, where the spec says a BIOS puts them.
 */
#ifndef DEVICES_MPTABLE_H
#define DEVICES_MPTABLE_H

#include <stdint.h>

struct guest_mem;

#define MPTABLE_ADDR     0xF5A00u       /* the floating pointer, in the BIOS ROM area */
#define MPTABLE_EBDA     0x9FC00u       /* extended BIOS data area: the last KiB of base memory */

/*
 * Write the BIOS data area fields (base memory size, EBDA segment), the MP
 * floating pointer at MPTABLE_ADDR and its configuration table after it:
 * one processor (APIC ID 0), the ISA bus, one I/O APIC (ioapic_id at
 * ioapic_addr), an interrupt entry per ISA IRQ (IRQ 0 on pin 2) and the
 * local interrupts (ExtINT on LINT0, NMI on LINT1). Returns the number of
 * bytes of the configuration table, or -1 if RAM is too small to hold them.
 */
int mptable_write(struct guest_mem *mem, uint8_t ioapic_id, uint32_t ioapic_addr,
                  uint32_t lapic_addr);

#endif
