/*
 * test_lapic.c - unit tests for devices/lapic.c (chapter 6, "APICs"): the
 * reset state firmware leaves, timer arithmetic (periodic, one-shot, the
 * divider, the current count), priorities and EOI, the ICR as a one-CPU
 * kernel uses it, the 8259s on LINT0, and registers written with junk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"

static struct bus bus;
static struct pic pic;
static struct lapic apic;
static uint64_t now;
static int eoi_vector;

static void wr(uint32_t off, uint32_t v)
{
    assert_true(bus_mmio(&bus, LAPIC_BASE + off, 4, true, &v));
}

static uint32_t rd(uint32_t off)
{
    uint32_t v;
    assert_true(bus_mmio(&bus, LAPIC_BASE + off, 4, false, &v));
    return v;
}

static void on_eoi(void *opaque, uint8_t vector)
{
    (void)opaque;
    eoi_vector = vector;
}

static int setup(void **state)
{
    (void)state;
    now = 5000;
    eoi_vector = -1;
    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(pic_init(&pic, &bus), 0);
    assert_int_equal(lapic_init(&apic, &bus, &pic, &now), 0);
    lapic_set_eoi_listener(&apic, on_eoi, NULL);
    return 0;
}

/* Deliver and retire whatever is pending; returns the vector or -1. */
static int take(void)
{
    if (!lapic_has_interrupt(&apic))
        return -1;
    int v = lapic_acknowledge(&apic);
    wr(LAPIC_EOI, 0);
    return v;
}

static void test_reset_state(void **state)
{
    (void)state;
    assert_int_equal(rd(LAPIC_ID), 0);
    assert_int_equal(rd(LAPIC_VER), LAPIC_VERSION);
    assert_true(rd(LAPIC_SVR) & LAPIC_SVR_ENABLE);
    assert_int_equal(rd(LAPIC_LVT_LINT0), LAPIC_DM_EXTINT << 8);    // the virtual wire
    assert_int_equal(rd(LAPIC_LVT_LINT1), LAPIC_DM_NMI << 8);
    assert_true(rd(LAPIC_LVT_TIMER) & LAPIC_LVT_MASKED);
    assert_false(lapic_has_interrupt(&apic));
    assert_int_equal(lapic_next_event_ns(&apic, now), UINT64_MAX);
}

/* xv6's set-up: divide by 1, periodic, vector 32, 10,000,000 ticks = 10 ms at 1 GHz. */
static void test_timer_periodic(void **state)
{
    (void)state;
    wr(LAPIC_TDCR, 0xB);
    wr(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | 32);
    wr(LAPIC_TICR, 10000000);
    uint64_t start = now;
    assert_int_equal(lapic_next_event_ns(&apic, now), start + 10000000);
    now = start + 9999999;
    lapic_update(&apic, now);
    assert_int_equal(take(), -1);
    assert_int_equal(rd(LAPIC_TCCR), 1);
    now = start + 10000000;
    lapic_update(&apic, now);
    assert_int_equal(take(), 32);
    assert_int_equal(rd(LAPIC_TCCR), 10000000);    // reloaded
    // Three periods pass unseen: one interrupt, two coalesced.
    now = start + 40000000;
    lapic_update(&apic, now);
    assert_int_equal(take(), 32);
    assert_int_equal(take(), -1);
    assert_int_equal(apic.stats.coalesced, 2);
    assert_int_equal(lapic_next_event_ns(&apic, now), start + 50000000);
}

static void test_timer_oneshot_and_divider(void **state)
{
    (void)state;
    wr(LAPIC_TDCR, 0x3);                        // divide by 16
    wr(LAPIC_LVT_TIMER, 0x40);                  // one-shot, vector 0x40
    wr(LAPIC_TICR, 1000);
    uint64_t start = now;
    now = start + 8000;                         // 500 divided ticks
    assert_int_equal(rd(LAPIC_TCCR), 500);
    assert_int_equal(lapic_next_event_ns(&apic, now), start + 16000);
    now = start + 16000;
    lapic_update(&apic, now);
    assert_int_equal(take(), 0x40);
    assert_int_equal(rd(LAPIC_TCCR), 0);        // one-shot: stays at 0
    now += 1000000;
    lapic_update(&apic, now);
    assert_int_equal(take(), -1);
    assert_int_equal(lapic_next_event_ns(&apic, now), UINT64_MAX);
    // Divider codes: 0b1010 divides by 128.
    wr(LAPIC_TDCR, 0xA);
    wr(LAPIC_TICR, 10);
    now += 640;
    assert_int_equal(rd(LAPIC_TCCR), 5);
}

/* A divider change keeps the count and goes on at the new rate. */
static void test_timer_divider_change(void **state)
{
    (void)state;
    wr(LAPIC_TDCR, 0xB);
    wr(LAPIC_LVT_TIMER, 0x40);
    wr(LAPIC_TICR, 1000);
    now += 400;
    assert_int_equal(rd(LAPIC_TCCR), 600);
    wr(LAPIC_TDCR, 0x0);                        // divide by 2
    assert_int_equal(rd(LAPIC_TCCR), 600);
    now += 200;
    assert_int_equal(rd(LAPIC_TCCR), 500);
}

/* A periodic timer whose divider changes after many periods goes on ticking. */
static void test_timer_periodic_divider_change(void **state)
{
    (void)state;
    wr(LAPIC_TDCR, 0xB);
    wr(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | 32);
    wr(LAPIC_TICR, 100);
    now += 1050;                                // ten periods and a half
    lapic_update(&apic, now);
    assert_int_equal(take(), 32);
    wr(LAPIC_TDCR, 0x0);                        // divide by 2: 50 ticks left = 100 ns
    assert_int_equal(rd(LAPIC_TCCR), 50);
    assert_int_equal(lapic_next_event_ns(&apic, now), now + 100);
    now += 100;
    lapic_update(&apic, now);
    assert_int_equal(take(), 32);
    now += 200;                                 // a full period at the new rate
    lapic_update(&apic, now);
    assert_int_equal(take(), 32);
}

/* A masked timer counts on, but raises nothing. */
static void test_timer_masked(void **state)
{
    (void)state;
    wr(LAPIC_TDCR, 0xB);
    wr(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | LAPIC_TIMER_PERIODIC | 32);
    wr(LAPIC_TICR, 100);
    now += 250;
    lapic_update(&apic, now);
    assert_int_equal(take(), -1);
    assert_int_equal(rd(LAPIC_TCCR), 50);
    assert_int_equal(lapic_next_event_ns(&apic, now), UINT64_MAX);
}

static void test_priority_and_eoi(void **state)
{
    (void)state;
    lapic_accept(&apic, 0x30, false);
    lapic_accept(&apic, 0x41, true);
    assert_true(lapic_has_interrupt(&apic));
    assert_int_equal(lapic_acknowledge(&apic), 0x41);      // the higher class first
    assert_int_equal(rd(LAPIC_PPR), 0x40);
    assert_false(lapic_has_interrupt(&apic));              // 0x30 waits behind 0x41
    lapic_accept(&apic, 0x45, false);
    assert_false(lapic_has_interrupt(&apic));              // same class: no nesting
    wr(LAPIC_EOI, 0);
    assert_int_equal(eoi_vector, 0x41);                    // level: broadcast to the I/O APIC
    assert_int_equal(lapic_acknowledge(&apic), 0x45);
    eoi_vector = -1;
    wr(LAPIC_EOI, 0);
    assert_int_equal(eoi_vector, -1);                      // edge: no broadcast
    wr(LAPIC_TPR, 0x50);                                   // the task priority blocks 0x30
    assert_false(lapic_has_interrupt(&apic));
    wr(LAPIC_TPR, 0);
    assert_int_equal(take(), 0x30);
    assert_true(rd(LAPIC_IRR + 0x10) == 0 && rd(LAPIC_ISR + 0x10) == 0);
}

static void test_icr(void **state)
{
    (void)state;
    // xv6's start-up: INIT level de-assert to all, then wait for delivery status.
    wr(LAPIC_ICRHI, 0);
    wr(LAPIC_ICRLO, 0x00080000 | 0x00008000 | 0x00000500);
    assert_int_equal(rd(LAPIC_ICRLO) & LAPIC_ICR_PENDING, 0);
    assert_false(lapic_has_interrupt(&apic));
    // A fixed IPI to ourselves, by shorthand and by destination.
    wr(LAPIC_ICRLO, (1u << 18) | 0x60);
    assert_int_equal(take(), 0x60);
    wr(LAPIC_ICRHI, 0u << 24);
    wr(LAPIC_ICRLO, 0x61);
    assert_int_equal(take(), 0x61);
    wr(LAPIC_ICRHI, 3u << 24);                             // a CPU that does not exist
    wr(LAPIC_ICRLO, 0x62);
    assert_int_equal(take(), -1);
    assert_int_equal(apic.stats.ipis, 4);
}

/* The 8259s reach the CPU through LINT0 while it is ExtINT and unmasked. */
static void test_lint0_extint(void **state)
{
    (void)state;
    uint32_t v;
    uint8_t icw[] = { 0x11, 0x20, 0x04, 0x01 };
    v = icw[0]; bus_pio(&bus, 0x20, 1, true, &v);
    for (int i = 1; i < 4; i++) { v = icw[i]; bus_pio(&bus, 0x21, 1, true, &v); }
    v = 0; bus_pio(&bus, 0x21, 1, true, &v);
    pic_set_irq(&pic, 4, 1);
    assert_true(lapic_has_interrupt(&apic));
    assert_int_equal(lapic_acknowledge(&apic), 0x24);
    pic_set_irq(&pic, 4, 0);
    pic_set_irq(&pic, 3, 1);
    wr(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | LAPIC_DM_EXTINT << 8);   // what an MP kernel does
    assert_false(lapic_has_interrupt(&apic));
}

/* Junk: wrong sizes, missing registers, illegal vectors. An error, never a crash. */
static void test_junk(void **state)
{
    (void)state;
    uint32_t v = 0xFFFFFFFF;
    assert_true(bus_mmio(&bus, LAPIC_BASE + LAPIC_TPR, 1, true, &v));   // a byte: dropped
    assert_int_equal(rd(LAPIC_TPR), 0);
    assert_true(bus_mmio(&bus, LAPIC_BASE + LAPIC_TPR + 2, 4, false, &v));
    assert_int_equal(v, 0);
    wr(0x3F0, 0x1234);                                     // no register there
    assert_int_equal(rd(0x3F0), 0);                        // and reads 0
    wr(LAPIC_ICRLO, 0x05);                                 // a fixed IPI with vector 5
    lapic_accept(&apic, 3, false);                         // and one that arrives
    assert_false(lapic_has_interrupt(&apic));
    wr(LAPIC_ESR, 0);
    assert_int_equal(rd(LAPIC_ESR), LAPIC_ESR_ILLEGAL_REG | LAPIC_ESR_SEND_ILLEGAL |
                                    LAPIC_ESR_RECV_ILLEGAL);
    wr(LAPIC_ESR, 0);
    assert_int_equal(rd(LAPIC_ESR), 0);
    wr(LAPIC_VER, 0);                                      // read-only
    assert_int_equal(rd(LAPIC_VER), LAPIC_VERSION);
    // Software-disabled: every LVT entry stays masked.
    wr(LAPIC_SVR, 0xFF);
    wr(LAPIC_LVT_TIMER, 32);
    assert_true(rd(LAPIC_LVT_TIMER) & LAPIC_LVT_MASKED);
    lapic_accept(&apic, 0x70, false);
    assert_false(lapic_has_interrupt(&apic));
    wr(LAPIC_SVR, 0x1FF);
    assert_int_equal(take(), 0x70);
    // A timer with every bit set must not divide by zero or run backwards.
    wr(LAPIC_TDCR, 0xFFFFFFFF);
    wr(LAPIC_LVT_TIMER, 0xFFFFFFFF);
    wr(LAPIC_TICR, 0xFFFFFFFF);
    now += 1000000000ull * 100;
    lapic_update(&apic, now);
    (void)lapic_next_event_ns(&apic, now);
    assert_true(rd(LAPIC_TCCR) <= 0xFFFFFFFF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_timer_periodic, setup),
        cmocka_unit_test_setup(test_timer_oneshot_and_divider, setup),
        cmocka_unit_test_setup(test_timer_divider_change, setup),
        cmocka_unit_test_setup(test_timer_periodic_divider_change, setup),
        cmocka_unit_test_setup(test_timer_masked, setup),
        cmocka_unit_test_setup(test_priority_and_eoi, setup),
        cmocka_unit_test_setup(test_icr, setup),
        cmocka_unit_test_setup(test_lint0_extint, setup),
        cmocka_unit_test_setup(test_junk, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
