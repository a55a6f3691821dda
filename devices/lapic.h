/*
 * lapic.h - the local APIC of our one CPU, at 0xFEE00000 (chapter 6, "APICs").
 *
 * Every x86 CPU since the P6 has one: it takes interrupts from the I/O APIC
 * and from its own sources (the timer, LINT0/LINT1, errors), queues them by
 * priority in IRR, hands the best one to the CPU (IRR -> ISR) and retires it
 * on EOI. The 8259s reach the CPU through LINT0 in ExtINT mode, the "virtual
 * wire" that firmware sets up and an MP kernel masks.
 *
 * The timer, like the PIT, is never stepped: its count is computed from the
 * VMM's virtual clock whenever someone looks.
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct pic;

#define LAPIC_BASE    0xFEE00000u
#define LAPIC_SIZE    0x1000u
#define LAPIC_VERSION 0x00050014u       /* integrated APIC (0x14), 6 LVT entries */
#define LAPIC_BUS_HZ  1000000000ull     /* timer input clock before the divider (QEMU's) */

/* Register offsets (Intel SDM vol. 3, table 11-1). */
enum {
    LAPIC_ID = 0x020, LAPIC_VER = 0x030, LAPIC_TPR = 0x080, LAPIC_APR = 0x090,
    LAPIC_PPR = 0x0A0, LAPIC_EOI = 0x0B0, LAPIC_RRD = 0x0C0, LAPIC_LDR = 0x0D0,
    LAPIC_DFR = 0x0E0, LAPIC_SVR = 0x0F0, LAPIC_ISR = 0x100, LAPIC_TMR = 0x180,
    LAPIC_IRR = 0x200, LAPIC_ESR = 0x280, LAPIC_ICRLO = 0x300, LAPIC_ICRHI = 0x310,
    LAPIC_LVT_TIMER = 0x320, LAPIC_LVT_THERMAL = 0x330, LAPIC_LVT_PERF = 0x340,
    LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370,
    LAPIC_TICR = 0x380, LAPIC_TCCR = 0x390, LAPIC_TDCR = 0x3E0,
};

/* Bits of the LVT entries, the SVR and the ICR. */
enum {
    LAPIC_LVT_MASKED   = 1u << 16,
    LAPIC_LVT_LEVEL    = 1u << 15,
    LAPIC_TIMER_PERIODIC = 1u << 17,
    LAPIC_DM_FIXED = 0, LAPIC_DM_NMI = 4, LAPIC_DM_INIT = 5, LAPIC_DM_STARTUP = 6,
    LAPIC_DM_EXTINT = 7,
    LAPIC_SVR_ENABLE   = 1u << 8,
    LAPIC_ICR_PENDING  = 1u << 12,      /* delivery status: 0 once sent */
};

/* Error status bits (ESR). */
enum {
    LAPIC_ESR_SEND_ILLEGAL = 1u << 5,   /* an IPI with a vector below 16 */
    LAPIC_ESR_RECV_ILLEGAL = 1u << 6,   /* an interrupt with a vector below 16 arrived */
    LAPIC_ESR_ILLEGAL_REG  = 1u << 7,   /* a register that does not exist */
};

enum { LAPIC_LVT_COUNT = 6 };           /* timer, thermal, perf, LINT0, LINT1, error */

/* Called on an EOI that retires a level-triggered vector (the I/O APIC's EOI broadcast). */
typedef void lapic_eoi_fn(void *opaque, uint8_t vector);

struct lapic {
    uint8_t   id;
    uint32_t  tpr, ldr, dfr, svr;
    uint32_t  irr[8], isr[8], tmr[8];   /* 256 bits each */
    unsigned  irr_count;                /* bits set in irr */
    uint32_t  esr, esr_pending;         /* readable ESR, errors since the last ESR write */
    uint32_t  icr_lo, icr_hi;
    uint32_t  lvt[LAPIC_LVT_COUNT];     /* in register order, 0x320..0x370 */
    uint32_t  divide;                   /* TDCR as written */
    uint32_t  initial;                  /* TICR: 0 stops the timer */
    uint64_t  start_ns;                 /* virtual time the count (re)started */
    uint64_t  fired;                    /* timer expirations already turned into interrupts */
    const uint64_t *now_ns;             /* the VMM's virtual clock */
    struct pic *pic;                    /* the 8259s, on LINT0 */
    lapic_eoi_fn *eoi_fn;
    void     *eoi_opaque;
    unsigned  warned;                   /* junk-access warnings printed */
    struct {
        uint64_t delivered;             /* vectors handed to the CPU */
        uint64_t timer;                 /* timer interrupts raised */
        uint64_t coalesced;             /* timer periods that found the previous one still in IRR */
        uint64_t eois, ipis, errors;
    } stats;
};

/*
 * Reset the APIC as firmware leaves it (enabled, LINT0 ExtINT so the 8259s
 * reach the CPU, LINT1 NMI, the rest masked) and claim its MMIO page.
 * Returns 0 or -1.
 */
int lapic_init(struct lapic *apic, struct bus *bus, struct pic *pic, const uint64_t *now_ns);

/* The I/O APIC's EOI broadcast target. */
void lapic_set_eoi_listener(struct lapic *apic, lapic_eoi_fn *fn, void *opaque);

/*
 * An interrupt message arrives (from the I/O APIC, or the APIC's own
 * sources): set its IRR bit; level says whether EOI must be broadcast.
 * A vector below 16 is refused with a receive-illegal-vector error.
 */
void lapic_accept(struct lapic *apic, uint8_t vector, bool level);

/* True when the APIC (or, through LINT0, the 8259s) asks to interrupt the CPU. */
bool lapic_has_interrupt(struct lapic *apic);

/* The CPU takes the interrupt: returns the vector (IRR -> ISR, or the 8259s' INTA). */
int  lapic_acknowledge(struct lapic *apic);

/* Bring the timer up to now_ns: raise its vector if it expired since the last call. */
void lapic_update(struct lapic *apic, uint64_t now_ns);

/* Virtual time of the timer's next expiry (now_ns if one is due), UINT64_MAX if none. */
uint64_t lapic_next_event_ns(struct lapic *apic, uint64_t now_ns);

/* The timer's current count (TCCR) at virtual time now_ns. */
uint32_t lapic_timer_count(const struct lapic *apic, uint64_t now_ns);

#endif
