/*
 * test_ioapic.c - unit tests for devices/ioapic.c (chapter 6, "APICs"):
 * the identification registers, routing of ISA lines (IRQ 0 on pin 2),
 * masking, edge and level triggering with Remote IRR and EOI, polarity,
 * and interrupts routed to nowhere or written with junk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"

static struct bus bus;
static struct pic pic;
static struct lapic apic;
static struct ioapic io;
static uint64_t now;

static void mmio_w(uint32_t off, uint32_t v)
{
    assert_true(bus_mmio(&bus, IOAPIC_BASE + off, 4, true, &v));
}

static uint32_t mmio_r(uint32_t off)
{
    uint32_t v;
    assert_true(bus_mmio(&bus, IOAPIC_BASE + off, 4, false, &v));
    return v;
}

static void reg_w(uint32_t reg, uint32_t v) { mmio_w(IOAPIC_REGSEL, reg); mmio_w(IOAPIC_WIN, v); }
static uint32_t reg_r(uint32_t reg)        { mmio_w(IOAPIC_REGSEL, reg); return mmio_r(IOAPIC_WIN); }

/* Program pin's redirection entry (low word), destination CPU dest. */
static void route(unsigned pin, uint32_t low, uint8_t dest)
{
    reg_w(IOAPIC_REG_TABLE + 2 * pin + 1, (uint32_t)dest << 24);
    reg_w(IOAPIC_REG_TABLE + 2 * pin, low);
}

static int setup(void **state)
{
    (void)state;
    now = 0;
    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(pic_init(&pic, &bus), 0);
    assert_int_equal(lapic_init(&apic, &bus, &pic, &now), 0);
    assert_int_equal(ioapic_init(&io, &bus, &apic), 0);
    pic_set_line_listener(&pic, ioapic_set_isa_irq, &io);
    lapic_set_eoi_listener(&apic, ioapic_eoi, &io);
    // As an MP kernel does: the 8259s off LINT0.
    uint32_t v = LAPIC_LVT_MASKED;
    bus_mmio(&bus, LAPIC_BASE + LAPIC_LVT_LINT0, 4, true, &v);
    return 0;
}

/* The vector the CPU would take now (and EOI it), or -1. */
static int take(void)
{
    if (!lapic_has_interrupt(&apic))
        return -1;
    int v = lapic_acknowledge(&apic);
    uint32_t zero = 0;
    bus_mmio(&bus, LAPIC_BASE + LAPIC_EOI, 4, true, &zero);
    return v;
}

static void test_identification(void **state)
{
    (void)state;
    assert_int_equal(reg_r(IOAPIC_REG_ID), IOAPIC_ID << 24);
    assert_int_equal(reg_r(IOAPIC_REG_VER), (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        assert_true(reg_r(IOAPIC_REG_TABLE + 2 * pin) & IOAPIC_RTE_MASKED);
    reg_w(IOAPIC_REG_ID, 5u << 24);
    assert_int_equal(reg_r(IOAPIC_REG_ID), 5u << 24);
}

/* xv6's ioapicenable(IRQ_IDE, 0): vector 32+14, edge, active high, CPU 0. */
static void test_edge_routing(void **state)
{
    (void)state;
    pic_set_irq(&pic, 14, 1);               // masked: the edge is lost
    pic_set_irq(&pic, 14, 0);
    assert_int_equal(take(), -1);
    assert_int_equal(io.stats.masked, 1);
    route(14, 32 + 14, 0);
    pic_set_irq(&pic, 14, 1);
    assert_int_equal(take(), 46);
    pic_set_irq(&pic, 14, 1);               // no new edge
    assert_int_equal(take(), -1);
    pic_set_irq(&pic, 14, 0);
    pic_set_irq(&pic, 14, 1);
    assert_int_equal(take(), 46);
}

/* The timer's IRQ 0 is wired to pin 2, as the MP table says. */
static void test_irq0_on_pin2(void **state)
{
    (void)state;
    route(0, 0x50, 0);
    route(2, 0x51, 0);
    pic_set_irq(&pic, 0, 1);
    pic_set_irq(&pic, 0, 0);
    assert_int_equal(take(), 0x51);
    assert_int_equal(take(), -1);
}

static void test_level_remote_irr(void **state)
{
    (void)state;
    route(10, IOAPIC_RTE_LEVEL | 0x60, 0);
    ioapic_set_pin(&io, 10, 1);
    assert_true(reg_r(IOAPIC_REG_TABLE + 20) & IOAPIC_RTE_REMOTE_IRR);
    assert_true(lapic_has_interrupt(&apic));
    assert_int_equal(lapic_acknowledge(&apic), 0x60);
    ioapic_set_pin(&io, 10, 1);             // still asserted, still in service: nothing new
    assert_false(lapic_has_interrupt(&apic));
    uint32_t zero = 0;
    bus_mmio(&bus, LAPIC_BASE + LAPIC_EOI, 4, true, &zero);   // EOI: sent again
    assert_true(lapic_has_interrupt(&apic));
    assert_int_equal(lapic_acknowledge(&apic), 0x60);
    ioapic_set_pin(&io, 10, 0);             // the handler satisfies the device, then EOI
    bus_mmio(&bus, LAPIC_BASE + LAPIC_EOI, 4, true, &zero);
    assert_int_equal(take(), -1);
    assert_false(reg_r(IOAPIC_REG_TABLE + 20) & IOAPIC_RTE_REMOTE_IRR);
    // A masked level pin that is asserted is sent when unmasked.
    route(11, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x61, 0);
    ioapic_set_pin(&io, 11, 1);
    assert_int_equal(take(), -1);
    route(11, IOAPIC_RTE_LEVEL | 0x61, 0);
    assert_int_equal(take(), 0x61);
}

static void test_active_low(void **state)
{
    (void)state;
    route(5, IOAPIC_RTE_ACTIVE_LOW | 0x70, 0);
    ioapic_set_pin(&io, 5, 1);
    assert_int_equal(take(), -1);
    ioapic_set_pin(&io, 5, 0);              // low is asserted
    assert_int_equal(take(), 0x70);
}

/* Logical destination mode, flat model: the LDR bit matches. */
static void test_logical_destination(void **state)
{
    (void)state;
    uint32_t ldr = 1u << 24;
    bus_mmio(&bus, LAPIC_BASE + LAPIC_LDR, 4, true, &ldr);
    route(3, IOAPIC_RTE_LOGICAL | 0x72, 0x01);
    ioapic_set_pin(&io, 3, 1);
    assert_int_equal(take(), 0x72);
    route(4, IOAPIC_RTE_LOGICAL | 0x73, 0x02);
    ioapic_set_pin(&io, 4, 1);
    assert_int_equal(take(), -1);
}

/* Routed to nowhere, junk vectors, junk registers: dropped with a warning, counted. */
static void test_misbehaving_guest(void **state)
{
    (void)state;
    route(1, 0x33, 7);                      // CPU 7 does not exist
    pic_set_irq(&pic, 1, 1);
    assert_int_equal(take(), -1);
    assert_int_equal(io.stats.nowhere, 1);
    route(6, 0x03, 0);                      // vector 3: the local APIC refuses it
    ioapic_set_pin(&io, 6, 1);
    assert_int_equal(take(), -1);
    route(7, (LAPIC_DM_INIT << 8) | 0x40, 0);   // INIT through the I/O APIC: not ours
    ioapic_set_pin(&io, 7, 1);
    assert_int_equal(take(), -1);
    reg_w(IOAPIC_REG_VER, 0);               // read-only
    assert_int_equal(reg_r(IOAPIC_REG_VER) & 0xFF, IOAPIC_VERSION);
    assert_int_equal(reg_r(0xFF), 0);       // no such register
    reg_w(0xFF, 0x12345678);
    ioapic_set_pin(&io, 200, 1);            // no such pin
    uint32_t v = 0xAB;
    assert_true(bus_mmio(&bus, IOAPIC_BASE + 4, 1, true, &v));   // not a register
    assert_true(bus_mmio(&bus, IOAPIC_BASE + 4, 4, false, &v));
    assert_int_equal(v, 0);
    // Remote IRR and delivery status cannot be written by the guest.
    reg_w(IOAPIC_REG_TABLE + 2 * 9, IOAPIC_RTE_REMOTE_IRR | (1u << 12) | 0x44);
    assert_int_equal(reg_r(IOAPIC_REG_TABLE + 2 * 9), 0x44);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_identification, setup),
        cmocka_unit_test_setup(test_edge_routing, setup),
        cmocka_unit_test_setup(test_irq0_on_pin2, setup),
        cmocka_unit_test_setup(test_level_remote_irr, setup),
        cmocka_unit_test_setup(test_active_low, setup),
        cmocka_unit_test_setup(test_logical_destination, setup),
        cmocka_unit_test_setup(test_misbehaving_guest, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
