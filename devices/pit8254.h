/*
 * pit8254.h - the 8254 programmable interval timer (chapter 2, "Devices and
 * interrupts"; chapter 6, "I/O virtualization").
 *
 * Three 16-bit down-counters fed by a 1.193182 MHz clock. Channel 0 drives
 * IRQ 0 (the guest's scheduler tick), channel 2 the PC speaker and a status
 * bit in port 0x61. The counters are not stepped: their value is computed
 * from the VMM's virtual clock (nanoseconds) whenever the guest looks, so the
 * timer costs nothing while nobody reads it and runs the same on every engine.
 */
#ifndef DEVICES_PIT8254_H
#define DEVICES_PIT8254_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct pic;

#define PIT_HZ 1193182u         /* input clock of every channel */

struct pit_channel {
    uint32_t reload;            /* initial count, 1..65536 (a written 0 means 65536) */
    uint64_t load_ns;           /* virtual time the count was loaded */
    bool     counting;          /* false until a count is written after the mode */
    bool     null_count;        /* mode written, count not yet loaded (status bit 6) */
    bool     gate;              /* GATE input: always 1 for channel 0 */
    uint8_t  mode;              /* 0-5 */
    uint8_t  access;            /* PIT_ACCESS_LO, _HI or _LOHI */
    bool     bcd;               /* requested BCD counting: accepted, not emulated */
    bool     read_hi, write_hi; /* lohi: next byte is the high one */
    uint8_t  write_lo;          /* lohi: low byte written, waiting for the high one */
    uint8_t  latched;           /* access mode of a latched count, 0 = none */
    uint16_t latch;
    bool     status_latched;
    uint8_t  status;
    uint64_t edges;             /* rising OUT edges already turned into IRQ 0 */
};

enum { PIT_ACCESS_LATCH = 0, PIT_ACCESS_LO = 1, PIT_ACCESS_HI = 2, PIT_ACCESS_LOHI = 3 };

struct pit {
    struct pit_channel ch[3];
    struct pic        *pic;
    const uint64_t    *now_ns;  /* the VMM's virtual clock, read at each port access */
    bool               speaker; /* port 0x61 bit 1: speaker data enable */
    bool               refresh; /* port 0x61 bit 4: toggles on every read */
    struct {
        uint64_t irqs;          /* IRQ 0 edges raised */
        uint64_t coalesced;     /* periods that passed without their own edge */
    } stats;
};

/*
 * Claim ports 0x40-0x43 and 0x61. now_ns points at the VMM's virtual clock;
 * the channels stay idle until the guest programs them. Returns 0 or -1.
 */
int pit_init(struct pit *pit, struct bus *bus, struct pic *pic, const uint64_t *now_ns);

/*
 * Bring IRQ 0 up to virtual time now_ns: if channel 0's output had one or more
 * rising edges since the last call, pulse IRQ 0 once (the PIC's request is a
 * single bit, so more pulses would be lost anyway; stats.coalesced counts them).
 */
void pit_update(struct pit *pit, uint64_t now_ns);

/* Virtual time of channel 0's next IRQ 0 edge (now_ns if one is due), UINT64_MAX if none. */
uint64_t pit_next_event_ns(struct pit *pit, uint64_t now_ns);

#endif
